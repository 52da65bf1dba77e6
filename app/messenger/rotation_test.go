package messenger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/store"
)

const day = 24 * time.Hour

// bundlePair looks up who's bundle the way a new contact does and returns
// the ids of its signed and last-resort prekeys.
func bundlePair(t *testing.T, p *peer, who string) prekeyPair {
	t.Helper()
	look, err := p.m.relay.Lookup(context.Background(), handle.MustParse(who))
	if err != nil || len(look.Devices) != 1 {
		t.Fatalf("lookup %s: %v", who, err)
	}
	b, err := keys.ParseBundle(look.Devices[0].Bundle)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(p.m.cfg.Now()); err != nil {
		t.Fatalf("%s's bundle does not verify: %v", who, err)
	}
	return prekeyPair{Signed: uint32(b.SignedPrekey.ID), LastResort: uint32(b.LastResortPQ.ID)}
}

func hasPrekeys(t *testing.T, p *peer, pair prekeyPair) bool {
	t.Helper()
	ctx := context.Background()
	found := 0
	for _, ref := range []store.PrekeyRef{{Kind: store.SignedPrekey, ID: pair.Signed}, {Kind: store.LastResortKEMPrekey, ID: pair.LastResort}} {
		b, err := p.m.Store().Prekey(ctx, ref)
		switch {
		case err == nil:
			clear(b)
			found++
		case !errors.Is(err, store.ErrNotFound):
			t.Fatal(err)
		}
	}
	if found == 1 {
		t.Fatalf("only one of the pair %+v is kept", pair)
	}
	return found == 2
}

// waitBundle waits until a lookup of who hands out a pair other than old.
func waitBundle(t *testing.T, p *peer, who string, old prekeyPair) prekeyPair {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if now := bundlePair(t, p, who); now != old {
			return now
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's bundle still has the pair %+v", who, old)
		}
	}
}

// TestSignedPrekeyRotation: a week on, Bob's start uploads a new pair that
// new contacts get; a first message made with the old bundle still
// decrypts during the grace period; after it the old private keys are gone.
// Then an upload fails after a pair was made and stored (as a crash there
// would leave it): after a restart the next rotation takes a new id, and the
// interrupted pair (which may have reached the relay) is kept for the grace
// period.
func TestSignedPrekeyRotation(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{}
	g := startGatedRelay(t, clock.Now)
	alice := newPeerAt(t, g.url, "alice", clock.Now)
	bob := newPeerAt(t, g.url, "bob", clock.Now)
	carol := newPeerAt(t, g.url, "carol", clock.Now)

	first := bundlePair(t, alice, "bob")
	if first != (prekeyPair{1, 1}) {
		t.Fatalf("a new account's pair is %+v", first)
	}
	if rotated, err := bob.m.RotatePrekeys(ctx); err != nil || rotated {
		t.Fatalf("rotation of a new pair: %v %v", rotated, err)
	}
	// Carol sets up a session with the current bundle, and writes later.
	if _, err := carol.m.FindContact(ctx, handle.MustParse("bob")); err != nil {
		t.Fatal(err)
	}

	clock.Set(8 * day)
	bob.reopen() // the start checks the rotation
	second := waitBundle(t, alice, "bob", first)
	if second.Signed <= first.Signed || second.LastResort <= first.LastResort {
		t.Fatalf("new pair %+v after %+v", second, first)
	}
	if !hasPrekeys(t, bob, first) || !hasPrekeys(t, bob, second) {
		t.Fatal("the old pair must be kept during the grace period")
	}
	// A fresh contact's session uses the new pair; Carol's, made before the
	// rotation, the old one: both decrypt.
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "from the new bundle", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.m.SendText(ctx, handle.MustParse("bob"), "from the old bundle", 0); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, bob, "alice", 1, func(m store.Message) bool { return m.Body == "from the new bundle" })
	waitMessages(t, bob, "carol", 1, func(m store.Message) bool { return m.Body == "from the old bundle" })

	// Past the grace period the old pair is deleted (and a newer one made).
	at := 8*day + retiredPrekeyGrace + day
	clock.Set(at)
	if rotated, err := bob.m.RotatePrekeys(ctx); err != nil || !rotated {
		t.Fatalf("rotation after %v: %v %v", at, rotated, err)
	}
	if hasPrekeys(t, bob, first) {
		t.Fatal("the old pair is still kept after the grace period")
	}
	if !hasPrekeys(t, bob, second) {
		t.Fatal("the pair retired a moment ago is gone already")
	}
	third := bundlePair(t, alice, "bob")
	if third.Signed <= second.Signed {
		t.Fatalf("third pair %+v after %+v", third, second)
	}

	// An upload that fails after the pair was made.
	g.set(func(g *gatedRelay) { g.failPrekeys = true })
	clock.Set(at + 8*day)
	if _, err := bob.m.RotatePrekeys(ctx); err == nil {
		t.Fatal("rotation with a failing upload reported success")
	}
	s, err := bob.m.loadRotation(ctx)
	if err != nil || s.Pending == nil {
		t.Fatalf("state after the failed upload: %+v %v", s, err)
	}
	interrupted := *s.Pending
	if !hasPrekeys(t, bob, interrupted) {
		t.Fatal("the interrupted pair was not stored")
	}
	if got := bundlePair(t, alice, "bob"); got != third {
		t.Fatalf("relay hands out %+v", got)
	}
	bob.stop()
	g.set(func(g *gatedRelay) { g.failPrekeys = false })
	bob.reopen()
	fourth := waitBundle(t, alice, "bob", third)
	if fourth.Signed <= interrupted.Signed || fourth.LastResort <= interrupted.LastResort {
		t.Fatalf("pair %+v after the interrupted %+v: an id was used again", fourth, interrupted)
	}
	if !hasPrekeys(t, bob, interrupted) || !hasPrekeys(t, bob, third) {
		t.Fatal("retired pairs must be kept for the grace period")
	}
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "after the restart", 0); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, bob, "alice", 2, func(store.Message) bool { return true })
}

// FuzzParseRotationState: a stored rotation state never panics the
// decoder, and what it accepts names only ids below Next.
func FuzzParseRotationState(f *testing.F) {
	s := firstRotationState(time.Unix(1_800_000_000, 0))
	s.Pending = &prekeyPair{1, 1}
	s.Retired = []retiredPair{{prekeyPair{1, 1}, time.Unix(1_700_000_000, 0)}}
	b, _ := s.marshal()
	f.Add(b)
	f.Add([]byte(`{"cur":{"s":0,"l":0},"next":0}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseRotationState(b)
		if err != nil {
			return
		}
		if s.Current.Signed == 0 || s.Current.Signed >= s.Next || len(s.Retired) > maxRetired {
			t.Fatalf("accepted %+v", s)
		}
	})
}
