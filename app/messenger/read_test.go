package messenger

import (
	"context"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/store"
)

// TestReadReceiptCoversEarlierMessages: Bob reads the newest of Alice's
// messages; the ones before it are read too, on his side and — through the
// one read receipt — on hers, except a message still pending at her end.
func TestReadReceiptCoversEarlierMessages(t *testing.T) {
	ctx := context.Background()
	alice, bob, first := acceptedPair(t)

	var sent []store.Message
	for _, s := range []string{"one", "two", "three"} {
		m, err := alice.m.SendText(ctx, handle.MustParse("bob"), s, 0)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	last := sent[len(sent)-1]
	alice.waitFor("three delivered", func(e Event) bool { return e.Message == last.ID && e.Status == "delivered" })

	var bobs []store.Message
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		bobs = nil
		for _, m := range bob.history(t, "alice") {
			if m.Direction == store.Incoming {
				bobs = append(bobs, m)
			}
		}
		if len(bobs) == 4 || time.Now().After(deadline) {
			break
		}
	}
	if len(bobs) != 4 {
		t.Fatalf("bob has %d of alice's 4 messages", len(bobs))
	}
	if err := bob.m.MarkRead(ctx, bobs[3].ID, true); err != nil {
		t.Fatal(err)
	}
	for _, m := range bobs {
		if got, _ := bob.m.Store().Message(ctx, m.ID); got.Status != store.StatusRead {
			t.Fatalf("bob's copy of %q is %v after reading the newest", m.Body, got.Status)
		}
	}
	// Alice: all four read, from one receipt.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		unread := 0
		for _, m := range append([]store.Message{first}, sent...) {
			if got, _ := alice.m.Store().Message(ctx, m.ID); got.Status != store.StatusRead {
				unread++
			}
		}
		if unread == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of alice's messages are not read after bob read the newest", unread)
		}
	}
	// Reading again sends nothing and changes nothing.
	if err := bob.m.MarkRead(ctx, bobs[3].ID, true); err != nil {
		t.Fatal(err)
	}
}

// TestReadReceiptSkipsPending: a read receipt does not mark as read a message
// the relay has not taken yet (pending) — the reader cannot have seen it.
func TestReadReceiptSkipsPending(t *testing.T) {
	ctx := context.Background()
	alice, bob, first := acceptedPair(t)
	// A message stuck pending before the newest (written straight to the
	// store, as the outbox would hold it).
	aliceBob, _ := alice.m.Store().ContactByHandle(ctx, "bob")
	conv, err := alice.m.Store().EnsureConversation(ctx, aliceBob.ID)
	if err != nil {
		t.Fatal(err)
	}
	pendingID, err := alice.m.Store().InsertMessage(ctx, store.Message{Conversation: conv.ID, RemoteID: make([]byte, 16),
		Direction: store.Outgoing, Status: store.StatusPending, Body: "stuck", SentAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	last, err := alice.m.SendText(ctx, handle.MustParse("bob"), "newest", 0)
	if err != nil {
		t.Fatal(err)
	}
	var newest store.Message
	for deadline := time.Now().Add(15 * time.Second); newest.ID == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range bob.history(t, "alice") {
			if m.Body == "newest" {
				newest = m
			}
		}
	}
	if newest.ID == 0 {
		t.Fatal("bob never got the newest message")
	}
	if err := bob.m.MarkRead(ctx, newest.ID, true); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("newest read", func(e Event) bool { return e.Message == last.ID && e.Status == "read" })
	// The receipt's earlier messages are marked after its target.
	alice.waitFor("first read", func(e Event) bool { return e.Message == first.ID && e.Status == "read" })
	if got, _ := alice.m.Store().Message(ctx, pendingID); got.Status != store.StatusPending {
		t.Fatalf("the pending message is %v after a read receipt", got.Status)
	}
}

// acceptedPair is Alice and Bob on a relay of their own, the conversation
// accepted both ways: Alice's first message, answered by Bob.
func acceptedPair(t *testing.T) (alice, bob *peer, first store.Message) {
	t.Helper()
	ctx := context.Background()
	url := startRelay(t)
	alice = newPeer(t, url, "alice")
	bob = newPeer(t, url, "bob")
	first, err := alice.m.SendText(ctx, handle.MustParse("bob"), "hello", 0)
	if err != nil {
		t.Fatal(err)
	}
	bob.waitFor("request", func(e Event) bool { return e.Kind == EventRequest })
	if _, err := bob.m.SendText(ctx, handle.MustParse("alice"), "hi", 0); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("reply", func(e Event) bool { return e.Kind == EventMessage && e.Message != first.ID })
	return alice, bob, first
}
