package calls

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBusy(t *testing.T) {
	n := newNetwork(t)
	alice, bob, carol := n.add("alice", nil), n.add("bob", nil), n.add("carol", nil)
	connect(t, alice, bob, false)
	if _, err := carol.m.Call(context.Background(), "bob", false); err != nil {
		t.Fatal(err)
	}
	if e := carol.waitEnd(t); e.Reason != ReasonBusy {
		t.Fatalf("carol: %v, want busy", e.Reason)
	}
	if e := bob.waitEnd(t); e.Reason != ReasonBusy || !e.Incoming || e.Peer != "carol" {
		t.Fatalf("bob's record of carol's call: %+v", e)
	}
	// Bob's call with alice goes on, and he cannot start another.
	if cs := bob.m.Calls(); len(cs) != 1 || cs[0].Peer != "alice" || cs[0].State != StateConnected {
		t.Fatalf("bob's calls: %+v", cs)
	}
	if _, err := bob.m.Call(context.Background(), "carol", false); !errors.Is(err, ErrBusy) {
		t.Fatalf("second outgoing call: %v, want ErrBusy", err)
	}
}

func TestRingTimeoutIsMissed(t *testing.T) {
	n := newNetwork(t)
	clock := newFakeClock()
	withClock := func(c *Config) { c.Clock = clock }
	alice, bob := n.add("alice", withClock), n.add("bob", withClock)
	if _, err := alice.m.Call(context.Background(), "bob", true); err != nil {
		t.Fatal(err)
	}
	bob.wait(t, StateRinging)
	alice.wait(t, StateRinging)
	clock.Advance(DefaultRingTimeout - time.Second)
	select {
	case e := <-alice.events:
		t.Fatalf("event before the ring timeout: %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
	clock.Advance(time.Second)
	if e := alice.waitEnd(t); e.Reason != ReasonMissed {
		t.Fatalf("alice: %v, want missed", e.Reason)
	}
	if e := bob.waitEnd(t); e.Reason != ReasonMissed {
		t.Fatalf("bob: %v, want missed", e.Reason)
	}
}

func TestCallerCancelsIsMissedForCallee(t *testing.T) {
	n := newNetwork(t)
	alice, bob := n.add("alice", nil), n.add("bob", nil)
	id, err := alice.m.Call(context.Background(), "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	bob.wait(t, StateRinging)
	if err := alice.m.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := bob.waitEnd(t); e.Reason != ReasonMissed {
		t.Fatalf("bob: %v, want missed", e.Reason)
	}
}

func TestUnreachable(t *testing.T) {
	n := newNetwork(t)
	alice := n.add("alice", nil)
	// Nobody called bob on this network: the Signaler cannot deliver.
	if _, err := alice.m.Call(context.Background(), "bob", false); err != nil {
		t.Fatal(err)
	}
	if e := alice.waitEnd(t); e.Reason != ReasonUnreachable || !errors.Is(e.Err, errUnreachable) {
		t.Fatalf("alice: %v (%v), want unreachable", e.Reason, e.Err)
	}

	// Delivered, but no device rings before the ring timeout.
	clock := newFakeClock()
	carol := n.add("carol", func(c *Config) { c.Clock = clock })
	n.filter = func(from, to string, s *Signal) bool { return to != "dave" }
	n.add("dave", nil)
	if _, err := carol.m.Call(context.Background(), "dave", false); err != nil {
		t.Fatal(err)
	}
	carol.wait(t, StateCalling)
	clock.Advance(DefaultRingTimeout)
	if e := carol.waitEnd(t); e.Reason != ReasonUnreachable {
		t.Fatalf("carol: %v, want unreachable", e.Reason)
	}
}

// TestGlare: both call each other at once. Both end up in the same single
// call, whichever id is lower.
func TestGlare(t *testing.T) {
	for i := range 3 {
		n := newNetwork(t)
		n.delay = 30 * time.Millisecond // let the offers cross
		alice, bob := n.add("alice", nil), n.add("bob", nil)
		var ids [2]CallID
		var wg sync.WaitGroup
		for j, p := range []*peer{alice, bob} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				other := map[string]string{"alice": "bob", "bob": "alice"}[p.name]
				id, err := p.m.Call(context.Background(), other, false)
				if err != nil {
					t.Errorf("%s call: %v", p.name, err)
				}
				ids[j] = id
			}()
		}
		wg.Wait()
		winner := ids[0]
		if ids[1].less(ids[0]) {
			winner = ids[1]
		}
		for _, p := range []*peer{alice, bob} {
			e := p.wait(t, StateConnected)
			if e.Call != winner {
				t.Fatalf("round %d: %s connected call %v, want the lower id %v", i, p.name, e.Call, winner)
			}
			if cs := p.m.Calls(); len(cs) != 1 || cs[0].ID != winner {
				t.Fatalf("round %d: %s has calls %+v", i, p.name, cs)
			}
		}
		if err := alice.m.Hangup(winner); err != nil {
			t.Fatal(err)
		}
		bob.waitEnd(t)
	}
}

// TestUnreliableSignaling: every blob delivered twice and late; the call
// still connects once and ends once.
func TestUnreliableSignaling(t *testing.T) {
	n := newNetwork(t)
	n.duplicate = true
	n.delay = 5 * time.Millisecond
	alice, bob := n.add("alice", nil), n.add("bob", nil)
	id := connect(t, alice, bob, true)
	if err := bob.m.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := alice.waitEnd(t); e.Reason != ReasonHungUpRemote {
		t.Fatalf("alice: %v", e.Reason)
	}
	bob.waitEnd(t)
	time.Sleep(100 * time.Millisecond) // duplicates of the hang-up arrive
	for _, p := range []*peer{alice, bob} {
		select {
		case e := <-p.events:
			t.Fatalf("%s: event after the end: %+v", p.name, e)
		default:
		}
	}
}

// TestTamperedFingerprint: a man in the middle of the signaling swaps the
// DTLS fingerprint. The callee's pion refuses the caller's certificate and
// the call fails with a clear reason instead of connecting.
func TestTamperedFingerprint(t *testing.T) {
	n := newNetwork(t)
	n.mutate = func(_, to string, s *Signal) {
		if to == "bob" && s.Kind == KindOffer {
			s.SDP = tamperFingerprint(t, s.SDP)
		}
	}
	alice, bob := n.add("alice", nil), n.add("bob", nil)
	id, err := alice.m.Call(context.Background(), "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	bob.wait(t, StateRinging)
	if err := bob.m.Accept(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	e := bob.waitEnd(t)
	if e.Reason != ReasonFailed || !errors.Is(e.Err, ErrFingerprintMismatch) {
		t.Fatalf("bob ended %v (%v), want failed with ErrFingerprintMismatch", e.Reason, e.Err)
	}
	t.Logf("bob: %v: %v", e.Reason, e.Err)
	if e := alice.waitEnd(t); e.Reason != ReasonFailed {
		t.Fatalf("alice ended %v (%v), want failed", e.Reason, e.Err)
	}
}

// tamperFingerprint flips one hex digit of every a=fingerprint.
func tamperFingerprint(t *testing.T, sdp string) string {
	lines := strings.Split(sdp, "\r\n")
	n := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "a=fingerprint:") {
			last := l[len(l)-1]
			repl := byte('0')
			if last == '0' {
				repl = '1'
			}
			lines[i] = l[:len(l)-1] + string(repl)
			n++
		}
	}
	if n == 0 {
		t.Fatal("offer has no a=fingerprint")
	}
	return strings.Join(lines, "\r\n")
}

// TestFingerprintCheckNeverDisabled fails if any source file of the package
// switches pion's fingerprint verification off.
func TestFingerprintCheckNeverDisabled(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("list sources: %v", err)
	}
	forbidden := "DisableCertificate" + "FingerprintVerification"
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), forbidden) {
			t.Errorf("%s calls %s", f, forbidden)
		}
	}
}

// TestCameraRenegotiates: a voice call turns the callee's camera on, off
// and on again; each change is a renegotiation, and the caller's screen
// gets pictures exactly while the camera is on.
func TestCameraRenegotiates(t *testing.T) {
	n := newNetwork(t)
	am, bm := &testMedia{}, &testMedia{w: 160, h: 120, fps: 20}
	alice := n.add("alice", func(c *Config) { c.Media = am })
	bob := n.add("bob", func(c *Config) { c.Media = bm })
	id := connect(t, alice, bob, false)
	for _, on := range []bool{true, false, true} {
		if err := bob.m.SetCamera(id, on); err != nil {
			t.Fatal(err)
		}
		waitFor(t, fmt.Sprintf("alice sees bob's camera %v", on), func() bool {
			info, err := alice.m.Info(id)
			return err == nil && info.RemoteVideo == on && info.State == StateConnected
		})
		before := am.written.Load()
		if on {
			waitFor(t, "pictures on alice's screen", func() bool { return am.written.Load() > before+5 })
			continue
		}
		time.Sleep(300 * time.Millisecond)
		if got := am.written.Load() - before; got > 2 {
			t.Fatalf("%d pictures arrived with the camera off", got)
		}
	}
	if info, _ := bob.m.Info(id); !info.LocalVideo {
		t.Fatal("bob's camera is not on")
	}
}

// waitFor polls cond until it holds or waitLong passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
