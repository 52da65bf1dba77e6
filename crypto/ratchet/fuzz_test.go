package ratchet

import (
	"bytes"
	"testing"
)

// FuzzDecrypt feeds arbitrary messages to a session mid-conversation. A
// message is either refused with the state untouched, or is one of the
// messages the peer really sent.
func FuzzDecrypt(f *testing.F) {
	alice, bob, r := newPair(f, 50)
	sent := map[string]bool{}
	enc := func(s *Session, m string) []byte {
		ct, err := s.Encrypt(r, []byte(m))
		if err != nil {
			f.Fatal(err)
		}
		sent[m] = true
		return ct
	}
	first := enc(alice, "first")
	if _, err := bob.Decrypt(r, first, t0); err != nil {
		f.Fatal(err)
	}
	reply := enc(bob, "reply")
	pending := enc(alice, "pending") // Bob has not seen this one
	skippedOver := enc(alice, "skipped")
	_ = enc(alice, "lost")
	ahead := enc(alice, "ahead")
	if _, err := bob.Decrypt(r, ahead, t0); err != nil {
		f.Fatal(err)
	}
	state := snapshot(f, bob)
	for _, s := range [][]byte{first, reply, pending, skippedOver, ahead, pending[:40], {1, 7}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		s, err := Unmarshal(state)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := s.Decrypt(r, msg, t0)
		if err != nil {
			if !bytes.Equal(snapshot(t, s), state) {
				t.Fatal("failed decrypt changed the state")
			}
			return
		}
		if !sent[string(pt)] {
			t.Fatalf("decrypted something never sent: %q", pt)
		}
	})
}

func FuzzUnmarshal(f *testing.F) {
	alice, bob, r := newPair(f, 51)
	a0 := snapshot(f, alice)
	b0 := snapshot(f, bob)
	ct, _ := alice.Encrypt(r, []byte("x"))
	_, _ = alice.Encrypt(r, []byte("y"))
	ct2, _ := alice.Encrypt(r, []byte("z"))
	_, _ = bob.Decrypt(r, ct, t0)
	_, _ = bob.Decrypt(r, ct2, t0)
	for _, s := range [][]byte{a0, b0, snapshot(f, bob), snapshot(f, alice)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Unmarshal(b)
		if err != nil {
			return
		}
		if !bytes.Equal(snapshot(t, s), b) {
			t.Fatal("accepted state does not round-trip")
		}
		if s.CanSend() {
			if _, err := s.Encrypt(r, []byte("after load")); err != nil {
				t.Fatalf("loaded session cannot encrypt: %v", err)
			}
		}
	})
}
