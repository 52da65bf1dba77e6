package wsio

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/relay/internal/wstest"

	"github.com/sotto-im/sotto/relay/api"
)

// TestWriteNext streams queues of frames over a real WebSocket and checks
// the peer reads exactly the messages api.NextMessage would have built.
func TestWriteNext(t *testing.T) {
	big := bytes.Repeat([]byte{7}, api.MaxFrame)
	var queues [][][]byte
	queues = append(queues, [][]byte{api.AppendAck(nil, 5)})
	var many [][]byte
	for i := range api.MaxBatchFrames + 3 {
		many = append(many, api.AppendAck(nil, uint64(i+1)))
	}
	queues = append(queues, many)
	queues = append(queues, [][]byte{big, big, big, big, big, api.AppendAck(nil, 9)})
	var want [][]byte
	for _, q := range queues {
		for len(q) > 0 {
			var m []byte
			m, q = api.NextMessage(q)
			want = append(want, m)
		}
	}
	got := make(chan []byte, len(want))
	url := wstest.Serve(t, func(ws *websocket.Conn) {
		ws.SetReadLimit(api.MaxMessage)
		for {
			_, b, err := ReadMessage(ws)
			if err != nil {
				close(got)
				return
			}
			got <- b
		}
	})
	ws := wstest.Dial(t, url)
	var err error
	for _, q := range queues {
		for len(q) > 0 {
			if q, err = WriteNext(ws, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	ws.Close()
	i := 0
	for b := range got {
		if i >= len(want) || !bytes.Equal(b, want[i]) {
			t.Fatalf("message %d differs (%d bytes)", i, len(b))
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("read %d messages, want %d", i, len(want))
	}
}

// TestLazyWriteDeadline checks that a write blocked on a peer that does
// not read still times out, that an earlier deadline applies at once, and
// that moving the deadline later by little is not passed on.
func TestLazyWriteDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(5 * time.Second) // never reads
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := LazyWriteDeadline(raw).(*lazyConn)
	defer c.Close()
	far := time.Now().Add(time.Hour)
	if err := c.SetWriteDeadline(far); err != nil {
		t.Fatal(err)
	}
	if err := c.SetWriteDeadline(far.Add(time.Second)); err != nil || !c.armed.Equal(far) {
		t.Fatalf("a deadline 1 s later than one an hour away was passed on (%v)", err)
	}
	if err := c.SetWriteDeadline(time.Now().Add(2 * time.Until(far))); err != nil || c.armed.Equal(far) {
		t.Fatalf("a deadline twice as far was not passed on (%v)", err)
	}
	start := time.Now()
	if err := c.SetWriteDeadline(start.Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for {
		if _, err = c.Write(buf); err != nil {
			break
		}
		if time.Since(start) > 3*time.Second {
			t.Fatal("write did not time out")
		}
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write failed with %v, want a deadline error", err)
	}
}
