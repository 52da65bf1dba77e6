package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestUpdateSessionAtomic(t *testing.T) {
	ctx := context.Background()
	p, _ := newProfile(t, Options{})
	alice, conv := newConversation(t, p, "@alice")
	if _, err := p.Session(ctx, alice, "dev1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no session yet: %v", err)
	}
	pk := PrekeyRef{Kind: OneTimePrekey, ID: 42}
	if err := p.PutPrekey(ctx, pk, []byte("otpk-private")); err != nil {
		t.Fatal(err)
	}
	// First message creates the session and consumes the one-time prekey.
	id, err := p.UpdateSession(ctx, alice, "dev1", func(st []byte) (SessionUpdate, error) {
		if st != nil {
			t.Errorf("state %q, want nil", st)
		}
		return SessionUpdate{State: []byte("state-1"), ConsumePrekeys: []PrekeyRef{pk},
			Message: &Message{Conversation: conv, Direction: Incoming, Sender: alice, Body: "first", RemoteID: []byte("m1")}}, nil
	})
	if err != nil || id == 0 {
		t.Fatalf("UpdateSession: %d %v", id, err)
	}
	if _, err := p.Prekey(ctx, pk); !errors.Is(err, ErrNotFound) {
		t.Fatalf("prekey not consumed: %v", err)
	}
	// A failing step changes nothing.
	boom := errors.New("decrypt failed")
	_, err = p.UpdateSession(ctx, alice, "dev1", func(st []byte) (SessionUpdate, error) {
		return SessionUpdate{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the callback's error", err)
	}
	// A duplicate message rolls the state back too.
	_, err = p.UpdateSession(ctx, alice, "dev1", func(st []byte) (SessionUpdate, error) {
		return SessionUpdate{State: []byte("state-2"), Message: &Message{Conversation: conv, Body: "again", RemoteID: []byte("m1")}}, nil
	})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	// A message into a conversation that does not exist: state not advanced.
	_, err = p.UpdateSession(ctx, alice, "dev1", func(st []byte) (SessionUpdate, error) {
		return SessionUpdate{State: []byte("state-2"), Message: &Message{Conversation: 999, Body: "lost"}}, nil
	})
	if err == nil {
		t.Fatal("insert into a missing conversation succeeded")
	}
	st, err := p.Session(ctx, alice, "dev1")
	if err != nil || !bytes.Equal(st, []byte("state-1")) {
		t.Fatalf("state after failed steps: %q %v", st, err)
	}
	msgs, _ := p.Messages(ctx, conv, 0, 10)
	if len(msgs) != 1 || msgs[0].Body != "first" {
		t.Fatalf("messages: %+v", msgs)
	}
	// Sessions are per device.
	if err := p.PutSession(ctx, alice, "dev2", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.Session(ctx, alice, "dev1"); !bytes.Equal(st, []byte("state-1")) {
		t.Fatalf("dev1 state overwritten: %q", st)
	}
	if err := p.DeleteSession(ctx, alice, "dev2"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Session(ctx, alice, "dev2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
}
