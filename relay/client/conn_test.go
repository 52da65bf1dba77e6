package client

import (
	"context"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/internal/wsio"
	"github.com/sotto-im/sotto/relay/internal/wstest"
)

// ackRelay is a stand-in relay on a real WebSocket: it pushes envelopes
// 1..n and reports every ack frame it reads, then nil when the client
// closes.
func ackRelay(t *testing.T, n int) (url string, acks <-chan *uint64) {
	t.Helper()
	ch := make(chan *uint64, 64)
	url = wstest.Serve(t, func(ws *websocket.Conn) {
		for i := 1; i <= n; i++ {
			if err := ws.WriteMessage(websocket.BinaryMessage, api.AppendEnvelope(nil, uint64(i), api.EnvelopeID{}, 0, nil, []byte("x"))); err != nil {
				return
			}
		}
		for {
			_, b, err := wsio.ReadMessage(ws)
			if err != nil {
				ch <- nil
				return
			}
			frames := [][]byte{b}
			if api.IsBatch(b) {
				if frames, err = api.SplitBatch(b); err != nil {
					t.Errorf("bad batch: %v", err)
					return
				}
			}
			for _, fb := range frames {
				f, err := api.DecodeFrame(fb)
				if err != nil {
					t.Errorf("bad frame: %v", err)
					return
				}
				if f.Type == api.FrameAck {
					seq := f.Seq
					ch <- &seq
				}
			}
		}
	})
	return url, ch
}

func dialTest(t *testing.T, url string, o DialOptions) *Conn {
	t.Helper()
	c, err := New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.PingInterval = -1
	cn, err := c.Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return cn
}

// TestAcksWaitAndCombine: acks made within the delay leave as one ack of
// the highest sequence, after the delay.
func TestAcksWaitAndCombine(t *testing.T) {
	url, acks := ackRelay(t, 5)
	cn := dialTest(t, url, DialOptions{AckDelay: 50 * time.Millisecond})
	defer cn.Close()
	start := time.Now()
	for range 5 {
		e := <-cn.Envelopes()
		if err := cn.Ack(e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case seq := <-acks:
		if seq == nil || *seq != 5 {
			t.Fatalf("first ack frame %v, want 5", seq)
		}
		if el := time.Since(start); el < 40*time.Millisecond {
			t.Fatalf("ack written after %v, before its delay", el)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ack")
	}
	select {
	case seq := <-acks:
		t.Fatalf("second ack frame %v", *seq)
	case <-time.After(150 * time.Millisecond):
	}
}

// TestCloseWritesTheWaitingAck: an ack still waiting for its delay is
// written before the connection closes.
func TestCloseWritesTheWaitingAck(t *testing.T) {
	url, acks := ackRelay(t, 2)
	cn := dialTest(t, url, DialOptions{AckDelay: time.Hour})
	for range 2 {
		e := <-cn.Envelopes()
		if err := cn.Ack(e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	cn.Close()
	select {
	case seq := <-acks:
		if seq == nil || *seq != 2 {
			t.Fatalf("ack frame %v, want 2", seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting ack was not written on Close")
	}
}

// TestAckAtOnce: a negative delay writes acks without waiting.
func TestAckAtOnce(t *testing.T) {
	url, acks := ackRelay(t, 1)
	cn := dialTest(t, url, DialOptions{AckDelay: -1})
	defer cn.Close()
	e := <-cn.Envelopes()
	start := time.Now()
	if err := cn.Ack(e.Seq); err != nil {
		t.Fatal(err)
	}
	if seq := <-acks; seq == nil || *seq != 1 {
		t.Fatalf("ack frame %v", seq)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("ack took %v", el)
	}
}
