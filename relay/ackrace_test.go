package relay_test

import (
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// TestImmediateAckIsKept: a client acking each envelope the moment it
// arrives must not race the relay's own record of what it pushed (an ack
// above that record is refused as an unknown sequence and lost, leaving
// the envelope queued). One envelope at a time, each acked at once, each
// gone from the store before the next is sent.
func TestImmediateAckIsKept(t *testing.T) {
	e := start(t, relaytest.Backends()[0], nil)
	bob := relaytest.NewDevice(t, "bob", 0).Register(t, e.url)
	anon, _ := client.New(e.url, nil)
	rc, err := bob.Client.Dial(bg, client.DialOptions{Authenticated: true, AckDelay: -1, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	go func() {
		for env := range rc.Envelopes() {
			if rc.Ack(env.Seq) != nil {
				return
			}
		}
	}()
	ws, err := anon.Dial(bg, client.DialOptions{PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for i := range 200 {
		if _, err := ws.Send(bg, bob.Addr, bob.Token, []byte("x")); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for {
			es, err := e.st.Fetch(bg, bob.Addr, 0, 10, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(es) == 0 {
				break
			}
			if time.Now().After(deadline) {
				select {
				case ae := <-rc.Errors():
					t.Fatalf("envelope %d still queued after its ack; relay said %v", i+1, ae)
				default:
					t.Fatalf("envelope %d still queued after its ack", i+1)
				}
			}
			time.Sleep(time.Millisecond)
		}
	}
}
