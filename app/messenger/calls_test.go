package messenger

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/store"
)

// TestCallSignalsRingOnlyAcceptedContacts sends call signals both ways
// through a real relay: a signal from a message request is dropped, one
// from an accepted contact reaches the handler intact.
func TestCallSignalsRingOnlyAcceptedContacts(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	got := make(chan CallSignal, 4)
	bob.m.SetCallHandler(func(_ context.Context, s CallSignal) { got <- s })

	// Alice is a stranger to bob: her call does not ring.
	if err := alice.m.SendCallSignal(ctx, handle.MustParse("bob"), []byte("offer 1")); err != nil {
		t.Fatalf("signal: %v", err)
	}
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "marker", 0); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("request", func(e Event) bool { return e.Kind == EventRequest })
	select {
	case s := <-got:
		t.Fatalf("a call from a message request rang: %q", s.Blob)
	default:
	}
	// Bob writes back (accepting); now alice's signal reaches him.
	if _, err := bob.m.SendText(ctx, handle.MustParse("alice"), "hi", 0); err != nil {
		t.Fatal(err)
	}
	blob := bytes.Repeat([]byte("sdp "), 1000)
	if err := alice.m.SendCallSignal(ctx, handle.MustParse("bob"), blob); err != nil {
		t.Fatalf("signal: %v", err)
	}
	select {
	case s := <-got:
		if !bytes.Equal(s.Blob, blob) || s.Handle.String() != "alice" || s.Contact == 0 || time.Since(s.SentAt) > time.Minute {
			t.Fatalf("signal arrived as %q from %v (%v)", s.Blob[:16], s.Handle, s.SentAt)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the call signal never arrived")
	}
	// Signals are not messages: nothing new in the history.
	if h := bob.history(t, "alice"); len(h) != 2 {
		t.Fatalf("bob's history has %d rows, want the two texts", len(h))
	}
	// A finished call leaves an entry in both the conversation and the log.
	id, err := bob.m.CallLogEntry(ctx, handle.MustParse("alice"), false, store.CallEntry{Outcome: store.CallMissed}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	row, err := bob.m.Store().Message(ctx, id)
	if err != nil || row.Call == nil || row.Call.Outcome != store.CallMissed || row.Direction != store.Incoming {
		t.Fatalf("call log row: %+v %v", row, err)
	}
	if log, err := bob.m.Store().Calls(ctx, 10); err != nil || len(log) != 1 || log[0].Outcome != store.CallMissed {
		t.Fatalf("call log: %+v %v", log, err)
	}
}
