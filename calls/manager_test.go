package calls

import (
	"context"
	"errors"
	"testing"
)

func TestCallConnectsAndHangsUp(t *testing.T) {
	for _, who := range []string{"caller", "callee"} {
		t.Run("hangup by "+who, func(t *testing.T) {
			n := newNetwork(t)
			alice, bob := n.add("alice", nil), n.add("bob", nil)
			id := connect(t, alice, bob, false)
			st, err := alice.m.Stats(id)
			if err != nil || st.LocalCandidate == "" {
				t.Fatalf("stats %+v, %v: want a selected pair", st, err)
			}
			hanger, other := alice, bob
			if who == "callee" {
				hanger, other = bob, alice
			}
			if err := hanger.m.Hangup(id); err != nil {
				t.Fatal(err)
			}
			if e := hanger.waitEnd(t); e.Reason != ReasonHungUpLocal {
				t.Fatalf("%s ended %v, want %v", hanger.name, e.Reason, ReasonHungUpLocal)
			}
			if e := other.waitEnd(t); e.Reason != ReasonHungUpRemote {
				t.Fatalf("%s ended %v, want %v", other.name, e.Reason, ReasonHungUpRemote)
			}
			if len(alice.m.Calls()) != 0 || len(bob.m.Calls()) != 0 {
				t.Fatal("calls left after hang-up")
			}
			if _, err := alice.m.Stats(id); !errors.Is(err, ErrUnknownCall) {
				t.Fatalf("stats after end: %v, want ErrUnknownCall", err)
			}
		})
	}
}

func TestDecline(t *testing.T) {
	n := newNetwork(t)
	alice, bob := n.add("alice", nil), n.add("bob", nil)
	id, err := alice.m.Call(context.Background(), "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	bob.wait(t, StateRinging)
	alice.wait(t, StateRinging) // bob's device rang
	if err := bob.m.Decline(id); err != nil {
		t.Fatal(err)
	}
	if e := alice.waitEnd(t); e.Reason != ReasonDeclinedRemote {
		t.Fatalf("alice: %v, want declined by peer", e.Reason)
	}
	if e := bob.waitEnd(t); e.Reason != ReasonDeclinedLocal {
		t.Fatalf("bob: %v, want declined", e.Reason)
	}
}
