package messenger

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/store"
)

// startRelay runs a real relay (SQLite store) on a loopback socket.
func startRelay(t *testing.T) string {
	t.Helper()
	return startRelayTB(t)
}

func startRelayTB(t testing.TB) string {
	t.Helper()
	return relaytest.Serve(t)
}

// storeOptions uses the OS keyring when the test services provide one, and a
// passphrase otherwise.
func storeOptions() store.Options {
	if os.Getenv("SOTTO_TEST_KEYRING") == "1" {
		return store.Options{Protection: store.ProtectionKeyring}
	}
	return store.Options{Protection: store.ProtectionPassphrase, Passphrase: []byte("correct horse battery staple")}
}

// peer is one account under test, with the events it has seen.
type peer struct {
	t      *testing.T
	dir    string
	m      *Messenger
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	events []Event
	wake   chan struct{}
	now    func() time.Time // nil: the real clock
}

func (p *peer) Emit(e Event) {
	p.mu.Lock()
	p.events = append(p.events, e)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func newPeer(t *testing.T, relayURL, name string) *peer {
	t.Helper()
	return newPeerAt(t, relayURL, name, nil)
}

// newPeerAt makes a peer whose clock is now (nil: the real one).
func newPeerAt(t *testing.T, relayURL, name string, now func() time.Time) *peer {
	t.Helper()
	p := &peer{t: t, dir: filepath.Join(t.TempDir(), name), wake: make(chan struct{}, 1), now: now}
	m, err := Create(context.Background(), p.config(), relayURL, handle.MustParse(name), nil)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	p.m = m
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *peer) config() Config {
	return Config{Dir: p.dir, Store: storeOptions(), Events: p, Log: slog.New(slog.NewTextHandler(testWriter{p.t}, nil)), Now: p.now}
}

// testWriter sends logs to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func (p *peer) start() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		if err := p.m.Run(ctx); err != nil {
			p.t.Errorf("run: %v", err)
		}
	}()
}

func (p *peer) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	<-p.done
	p.cancel = nil
	p.m.Close()
}

// reopen closes the account and opens it again from disk.
func (p *peer) reopen() {
	p.t.Helper()
	p.stop()
	m, err := Open(context.Background(), p.config())
	if err != nil {
		p.t.Fatalf("reopen: %v", err)
	}
	p.m = m
	p.start()
}

// waitFor blocks until an event matching ok has been seen.
func (p *peer) waitFor(what string, ok func(Event) bool) Event {
	p.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if ok(e) {
				p.mu.Unlock()
				return e
			}
		}
		p.mu.Unlock()
		select {
		case <-p.wake:
		case <-deadline:
			p.t.Fatalf("%s: no %s event", p.m.Handle(), what)
		}
	}
}

func (p *peer) history(t *testing.T, with string) []store.Message {
	t.Helper()
	ctx := context.Background()
	c, err := p.m.Store().ContactByHandle(ctx, with)
	if err != nil {
		t.Fatalf("%s has no contact %s: %v", p.m.Handle(), with, err)
	}
	conv, err := p.m.Store().EnsureConversation(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := p.m.Store().Messages(ctx, conv.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// Messages come newest first; tests read oldest first.
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

func bodies(ms []store.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConversationThroughRealRelay(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")

	sent, err := alice.m.SendText(ctx, handle.MustParse("@bob"), "hello bob, it's alice", 0)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if sent.Status != store.StatusSent {
		t.Fatalf("status after the relay acknowledged = %v", sent.Status)
	}
	bob.waitFor("request", func(e Event) bool { return e.Kind == EventRequest })
	got := bob.history(t, "alice")
	if !equal(bodies(got), []string{"hello bob, it's alice"}) || got[0].Direction != store.Incoming {
		t.Fatalf("bob has %q", bodies(got))
	}
	bobsAlice, _ := bob.m.Store().ContactByHandle(ctx, "alice")
	if state, _ := bob.m.State(ctx, bobsAlice.ID); state != StateRequest {
		t.Fatalf("alice's first message is not a request for bob: %v", state)
	}
	// Delivered comes back as an encrypted receipt.
	alice.waitFor("delivered", func(e Event) bool { return e.Message == sent.ID && e.Status == "delivered" })

	// Bob reads before accepting: no read receipt goes out.
	if err := bob.m.MarkRead(ctx, got[0].ID, true); err != nil {
		t.Fatal(err)
	}
	// Bob replies (which accepts), quoting alice.
	reply, err := bob.m.SendText(ctx, handle.MustParse("alice"), "hi alice!", got[0].ID)
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	alice.waitFor("reply", func(e Event) bool { return e.Kind == EventMessage && e.Contact != 0 && e.Message != sent.ID })
	ah := alice.history(t, "bob")
	if !equal(bodies(ah), []string{"hello bob, it's alice", "hi alice!"}) || ah[1].ReplyTo != sent.ID {
		t.Fatalf("alice has %q (reply to %d)", bodies(ah), ah[1].ReplyTo)
	}
	if st, _ := alice.m.Store().Message(ctx, sent.ID); st.Status != store.StatusDelivered {
		t.Fatalf("unaccepted read leaked a read receipt: status %v", st.Status)
	}
	// Now accepted: reading sends a read receipt.
	if err := alice.m.MarkRead(ctx, ah[1].ID, true); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("read", func(e Event) bool { return e.Message == reply.ID && e.Status == "read" })

	// Bob goes offline; alice writes; bob comes back and gets it all, once, in order.
	bob.stop()
	want := []string{"hello bob, it's alice", "hi alice!"}
	for _, s := range []string{"one", "two", "three", "four"} {
		if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), s, 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, s)
	}
	bob.reopen()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got := bodies(bob.history(t, "alice")); equal(got, want) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("bob has %q, want %q", got, want)
		}
	}

	// Edit, react and delete for everyone.
	last := alice.history(t, "bob")
	four := last[len(last)-1]
	if err := alice.m.Edit(ctx, four.ID, "four (edited)"); err != nil {
		t.Fatal(err)
	}
	bobFour := bob.history(t, "alice")[len(want)-1]
	bob.waitFor("edit", func(e Event) bool { return e.Kind == EventUpdated && e.Message == bobFour.ID })
	if m, _ := bob.m.Store().Message(ctx, bobFour.ID); m.Body != "four (edited)" || m.EditedAt.IsZero() {
		t.Fatalf("edit not applied: %q", m.Body)
	}
	if err := bob.m.React(ctx, bobFour.ID, "👍"); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("reaction", func(e Event) bool {
		m, _ := alice.m.Store().Message(ctx, four.ID)
		return e.Kind == EventUpdated && e.Message == four.ID && len(m.Reactions) == 1 && m.Reactions[0].Emoji == "👍"
	})
	if err := bob.m.Edit(ctx, bobFour.ID, "bob may not edit alice's message"); !errors.Is(err, ErrNoSuchMessage) {
		t.Fatalf("editing someone else's message: %v", err)
	}
	if err := alice.m.DeleteForEveryone(ctx, four.ID); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("delete", func(e Event) bool {
		return e.Kind == EventUpdated && e.Message == bobFour.ID && len(bob.history(t, "alice")) == len(want)-1
	})
}

func TestUnknownHandleAndSelf(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	if _, err := alice.m.SendText(ctx, handle.MustParse("nobody_here"), "hi", 0); !errors.Is(err, ErrUnknownHandle) {
		t.Fatalf("unknown handle: %v", err)
	}
	if _, err := alice.m.SendText(ctx, handle.MustParse("alice"), "hi", 0); !errors.Is(err, ErrSelf) {
		t.Fatalf("self: %v", err)
	}
}

// TestKeyChangeBlocksVerifiedContact: Alice had verified a key for @bob; the
// key @bob now writes with (and the relay's directory lists) is another one.
// Alice is warned, sending is blocked, and verifying the new number clears it.
func TestKeyChangeBlocksVerifiedContact(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")

	other, err := keys.GenerateIdentity(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := alice.m.Store().AddContact(ctx, store.Contact{Handle: "bob", IdentityKey: other.Public().Bytes(), Verification: store.Verified})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.m.SendText(ctx, handle.MustParse("alice"), "it's me, new keys", 0); err != nil {
		t.Fatal(err)
	}
	ev := alice.waitFor("key change", func(e Event) bool { return e.Kind == EventKeyChanged })
	if ev.Contact != id || ev.Conversation == 0 {
		t.Fatalf("key change event %+v", ev)
	}
	c, _ := alice.m.Store().Contact(ctx, id)
	if c.Verification != store.KeyChanged || !bytes.Equal(c.IdentityKey, bob.m.IdentityKey().Bytes()) {
		t.Fatalf("contact after the change: %v", c.Verification)
	}
	if at, _ := alice.m.KeyChangedAt(ctx, id); at.IsZero() {
		t.Fatal("no key change time recorded")
	}
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "still you?", 0); !errors.Is(err, ErrKeyChanged) {
		t.Fatalf("send to a verified contact with a changed key: %v", err)
	}
	if err := alice.m.Verify(ctx, id, "12345 12345"); !errors.Is(err, ErrSafetyMismatch) {
		t.Fatalf("verify with a wrong number: %v", err)
	}
	n, err := alice.m.SafetyNumber(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	bobsAlice, _ := bob.m.Store().ContactByHandle(ctx, "alice")
	bn, _ := bob.m.SafetyNumber(ctx, bobsAlice.ID)
	if n.Digits() != bn.Digits() {
		t.Fatal("alice and bob compute different safety numbers")
	}
	if err := alice.m.Verify(ctx, id, bn.String()); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if at, _ := alice.m.KeyChangedAt(ctx, id); !at.IsZero() {
		t.Fatal("verifying left the key change banner")
	}
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "verified again", 0); err != nil {
		t.Fatalf("send after re-verifying: %v", err)
	}
	bob.waitFor("message", func(e Event) bool {
		h := bob.history(t, "alice")
		return len(h) == 2 && h[1].Body == "verified again"
	})
}

// TestAttachment10MB: a 10 MB file goes through the relay as ciphertext in
// several blobs and arrives intact in Bob's profile.
func TestAttachment10MB(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")

	data := make([]byte, 10<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	var last int64
	row, err := alice.m.SendFile(ctx, handle.MustParse("bob"), "holiday.bin", "application/octet-stream",
		bytes.NewReader(data), int64(len(data)), "the photos", func(done, total int64) { last = done })
	if err != nil {
		t.Fatalf("send file: %v", err)
	}
	if row.Status != store.StatusSent || last == 0 {
		t.Fatalf("status %v, progress %d", row.Status, last)
	}
	alice.waitFor("upload progress", func(e Event) bool {
		return e.Kind == EventProgress && e.Message == row.ID && e.Done == e.Total && e.Total > int64(len(data))
	})
	bob.waitFor("attachment", func(e Event) bool { return e.Kind == EventMessage })
	var got []store.AttachmentInfo
	for deadline := time.Now().Add(30 * time.Second); len(got) == 0; time.Sleep(50 * time.Millisecond) {
		h := bob.history(t, "alice")
		if len(h) == 1 {
			got, _ = bob.m.Store().Attachments(ctx, h[0].ID)
		}
		if time.Now().After(deadline) {
			t.Fatal("bob has no attachment")
		}
	}
	if h := bob.history(t, "alice"); h[0].Body != "the photos" {
		t.Fatalf("caption %q", h[0].Body)
	}
	if got[0].Name != "holiday.bin" || got[0].Size != int64(len(data)) || !bytes.Equal(got[0].SHA256, want[:]) {
		t.Fatalf("attachment %q, %d bytes", got[0].Name, got[0].Size)
	}
	rc, err := bob.m.Store().OpenAttachment(ctx, got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("received file differs from the one sent")
	}
	// Alice keeps her own copy too.
	mine, err := alice.m.Store().Attachments(ctx, row.ID)
	if err != nil || len(mine) != 1 || !bytes.Equal(mine[0].SHA256, want[:]) {
		t.Fatalf("sender's copy: %v %v", mine, err)
	}
}

// TestPrekeyRefill: once the relay has handed out most of Bob's one-time
// prekeys, Bob uploads a new batch (at start-up and after accepting a
// session), and a session set up with one of the new ones works.
func TestPrekeyRefill(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	// Lookups hand out (and use up) all of Bob's first one-time prekeys.
	for range oneTimeX25519Count {
		if _, err := alice.m.relay.Lookup(ctx, handle.MustParse("bob")); err != nil {
			t.Fatal(err)
		}
	}
	count, err := bob.m.relay.PrekeyCount(ctx)
	if err != nil || count.OneTime >= refillBelow {
		t.Fatalf("after the lookups the relay holds %d one-time prekeys (%v)", count.OneTime, err)
	}
	bob.reopen() // a restart refills
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if count, err = bob.m.relay.PrekeyCount(ctx); err == nil && count.OneTime >= refillX25519 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not refilled: %d left", count.OneTime)
		}
	}
	carol := newPeer(t, url, "carol")
	if _, err := carol.m.SendText(ctx, handle.MustParse("bob"), "hello from a new prekey", 0); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("carol's message", func(e Event) bool { return e.Kind == EventRequest })
	if h := bob.history(t, "carol"); len(h) != 1 || h[0].Body != "hello from a new prekey" {
		t.Fatalf("bob has %q", bodies(h))
	}
}

// pause stops receiving without closing the account.
func (p *peer) pause() {
	p.cancel()
	<-p.done
}

// TestSimultaneousFirstMessages: Alice and Bob write to each other before
// either has received anything, so both start a session. Every message
// arrives, and the conversation carries on both ways afterwards.
func TestSimultaneousFirstMessages(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	alice.pause()
	bob.pause()
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "hi bob (crossing)", 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	if _, err := bob.m.SendText(ctx, handle.MustParse("alice"), "hi alice (crossing)", 0); err != nil {
		t.Fatal(err)
	}
	alice.start()
	bob.start()
	want := []string{"hi bob (crossing)", "hi alice (crossing)"}
	for i := range 3 {
		time.Sleep(2 * time.Millisecond)
		a := fmt.Sprintf("alice %d", i)
		if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), a, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
		b := fmt.Sprintf("bob %d", i)
		if _, err := bob.m.SendText(ctx, handle.MustParse("alice"), b, 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, a, b)
	}
	for _, p := range []struct {
		peer *peer
		with string
	}{{alice, "bob"}, {bob, "alice"}} {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if got := bodies(p.peer.history(t, p.with)); equal(got, want) {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("%s has %q, want %q", p.peer.m.Handle(), got, want)
			}
		}
	}
}
