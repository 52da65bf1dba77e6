package messenger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/vrf"
	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/relaytest"
	rstore "github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/store"
)

// evilRelay wraps a real relay's handler with test-only misbehaviour: each
// attack rewrites one kind of answer while on is set. It has the relay's
// log and VRF keys (from its store), as a relay operator would.
type evilRelay struct {
	st     rstore.Store
	on     atomic.Bool
	logKey ed25519.PrivateKey
	vrfKey *vrf.PrivateKey
	// rewrite changes the answer to a request whose path starts with
	// prefix; nil leaves it alone.
	prefix  string
	rewrite func(r *http.Request, body []byte) []byte
	// forge, when set, answers matching requests itself.
	forge func(r *http.Request) (int, []byte)
}

func (e *evilRelay) wrap(h http.Handler, st rstore.Store) http.Handler {
	e.st = st
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.on.Load() && e.forge != nil {
			if code, body := e.forge(r); code != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				_, _ = w.Write(body)
				return
			}
		}
		if !e.on.Load() || e.rewrite == nil || !strings.HasPrefix(r.URL.Path, e.prefix) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = e.rewrite(r, body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// keys loads the relay's log and VRF keys from its store.
func (e *evilRelay) keys(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	// The store only creates a secret that is missing; these exist.
	none := func() []byte { b := make([]byte, 32); _, _ = rand.Read(b); return b }
	ls, err := e.st.RelaySecret(ctx, "kt-log-key-v1", none)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.st.RelaySecret(ctx, "kt-vrf-key-v1", none)
	if err != nil {
		t.Fatal(err)
	}
	e.logKey = ed25519.NewKeyFromSeed(ls)
	if e.vrfKey, err = vrf.NewPrivateKey(vs); err != nil {
		t.Fatal(err)
	}
}

func jsonEdit[T any](t *testing.T, body []byte, f func(*T)) []byte {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("evil relay: %v", err)
		return body
	}
	f(&v)
	out, _ := json.Marshal(v)
	return out
}

// quiet stops p's Run loop (and its background own checks) and reopens the
// account without it, so a test's own CheckOwn calls are the only ones.
func quiet(t *testing.T, p *peer) {
	t.Helper()
	p.stop()
	m, err := Open(context.Background(), p.config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	p.m = m
}

func startEvil(t *testing.T) (*evilRelay, string) {
	e := &evilRelay{}
	url := relaytest.ServeWrapped(t, e.wrap)
	return e, url
}

func wantAlarm(t *testing.T, p *peer, contact store.ContactID, want error) {
	t.Helper()
	ev := p.waitFor("transparency alarm", func(e Event) bool { return e.Kind == EventTransparency && e.Contact == contact })
	if ev.Status == "" {
		t.Fatal("alarm without a reason")
	}
	s, err := p.m.Transparency(context.Background(), contact)
	if err != nil || s.Checked || s.Failure == "" {
		t.Fatalf("status after the alarm: %+v %v", s, err)
	}
	if want != nil && ev.Status != describe(want) {
		t.Fatalf("alarm %q, want %q", ev.Status, describe(want))
	}
}

// TestTransparencyHonestRelay: many accounts find each other and write;
// every lookup, own audit and exchanged tree head passes; statuses say
// "checked at size N".
func TestTransparencyHonestRelay(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	var peers []*peer
	for i := range 4 {
		peers = append(peers, newPeer(t, url, relaytest.Name("p", i)))
	}
	for round := range 2 {
		for i, a := range peers {
			b := peers[(i+1+round)%len(peers)]
			if _, err := a.m.SendText(ctx, b.m.Handle(), "hello", 0); err != nil {
				t.Fatalf("send: %v", err)
			}
		}
		for _, p := range peers {
			if err := p.m.CheckOwn(ctx); err != nil {
				t.Fatalf("own check: %v", err)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // tree heads from messages are checked in the background
	for _, p := range peers {
		p.mu.Lock()
		for _, e := range p.events {
			if e.Kind == EventTransparency {
				t.Fatalf("%s: alarm %q", p.m.Handle(), e.Status)
			}
		}
		p.mu.Unlock()
		s, err := p.m.Transparency(ctx, 0)
		if err != nil || !s.Checked || s.Size < uint64(len(peers)) {
			t.Fatalf("own status %+v %v", s, err)
		}
		contacts, err := p.m.Store().Contacts(ctx)
		if err != nil || len(contacts) == 0 {
			t.Fatalf("contacts: %v", err)
		}
		for _, c := range contacts {
			s, err := p.m.Transparency(ctx, c.ID)
			if err != nil || !s.Checked || s.Size == 0 || s.Version != 1 {
				t.Fatalf("contact status %+v %v", s, err)
			}
		}
		if p.m.latestTreeHead(ctx) == nil {
			t.Fatal("no tree head to send")
		}
	}
}

// Attack: the relay serves one client another identity key (mallory's) for
// alice, with alice's transparency proof.
func TestTransparencyDetectsSwappedKey(t *testing.T) {
	e, url := startEvil(t)
	alice := newPeer(t, url, "alice")
	mallory := newPeer(t, url, "mallory")
	bob := newPeer(t, url, "bob")
	ctx := context.Background()
	// Mallory's real lookup answer, to splice into alice's.
	bobSees, err := bob.m.relay.Lookup(ctx, mallory.m.Handle())
	if err != nil {
		t.Fatal(err)
	}
	e.prefix = api.PathHandles + alice.m.Handle().Hash().String()
	e.rewrite = func(_ *http.Request, body []byte) []byte {
		return jsonEdit(t, body, func(l *api.LookupResponse) {
			l.IdentityKey, l.Devices = bobSees.IdentityKey, bobSees.Devices
		})
	}
	e.on.Store(true)
	if _, err := bob.m.FindContact(ctx, alice.m.Handle()); !errors.Is(err, ErrTransparency) {
		t.Fatalf("swapped key accepted: %v", err)
	}
	wantAlarm(t, bob, 0, kt.ErrBindingMismatch)
	// Mallory's whole answer (with his proof) under alice's name fails too.
	e.rewrite = func(_ *http.Request, body []byte) []byte {
		return jsonEdit(t, body, func(l *api.LookupResponse) {
			l.IdentityKey, l.Devices, l.Transparency = bobSees.IdentityKey, bobSees.Devices, bobSees.Transparency
		})
	}
	if _, err := bob.m.FindContact(ctx, alice.m.Handle()); !errors.Is(err, ErrTransparency) {
		t.Fatalf("another handle's proof accepted: %v", err)
	}
	e.on.Store(false)
	if _, err := bob.m.FindContact(ctx, alice.m.Handle()); err != nil {
		t.Fatalf("honest lookup after the attack: %v", err)
	}
	_ = mallory
}

// Attack: the relay shows a client a fork — a tree head of the size it
// already saw, with another root, signed by the log key.
func TestTransparencyDetectsForkedLog(t *testing.T) {
	e, url := startEvil(t)
	alice := newPeer(t, url, "alice")
	quiet(t, alice)
	ctx := context.Background()
	if err := alice.m.CheckOwn(ctx); err != nil {
		t.Fatal(err)
	}
	e.keys(t)
	e.prefix = api.PathKTHead
	e.rewrite = func(_ *http.Request, body []byte) []byte {
		return jsonEdit(t, body, func(h *api.KTTreeHead) {
			real, _ := kt.ParseSignedTreeHead(h.TreeHead)
			fork := real.TreeHead
			_, _ = rand.Read(fork.Root[:])
			h.TreeHead = kt.SignTreeHead(e.logKey, fork).Marshal()
		})
	}
	e.on.Store(true)
	if err := alice.m.CheckOwn(ctx); !errors.Is(err, ErrTransparency) {
		t.Fatalf("fork accepted: %v", err)
	}
	wantAlarm(t, alice, 0, kt.ErrFork)
}

// Attack: split view seen through a contact — bob was shown a forked log;
// his tree head arrives in a message and alice's check catches it.
func TestTransparencyDetectsSplitViewFromContact(t *testing.T) {
	e, url := startEvil(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	ctx := context.Background()
	if _, err := alice.m.SendText(ctx, bob.m.Handle(), "hi", 0); err != nil {
		t.Fatal(err)
	}
	c, err := alice.m.Store().ContactByHandle(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	e.keys(t)
	var mon kt.Monitor
	if err := mon.UnmarshalBinary(mustSetting(t, alice, settingKTMonitor)); err != nil {
		t.Fatal(err)
	}
	fork := mon.Largest.TreeHead
	fork.Root[0] ^= 0xff
	if err := alice.m.CheckPeerTreeHead(ctx, c.ID, kt.SignTreeHead(e.logKey, fork).Marshal()); !errors.Is(err, ErrTransparency) {
		t.Fatalf("split view accepted: %v", err)
	}
	wantAlarm(t, alice, c.ID, kt.ErrFork)
	// The honest head bob holds passes.
	if err := alice.m.CheckPeerTreeHead(ctx, c.ID, bob.m.latestTreeHead(ctx)); err != nil {
		t.Fatalf("bob's honest head: %v", err)
	}
}

func mustSetting(t *testing.T, p *peer, name string) []byte {
	t.Helper()
	b, err := p.m.Store().Setting(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Attack: history rewritten — a larger head, signed by the log key, whose
// root does not extend the log the client saw, with a made-up consistency
// proof (the honest relay cannot prove it).
func TestTransparencyDetectsRewrittenHistory(t *testing.T) {
	e, url := startEvil(t)
	alice := newPeer(t, url, "alice")
	quiet(t, alice)
	ctx := context.Background()
	if err := alice.m.CheckOwn(ctx); err != nil {
		t.Fatal(err)
	}
	e.keys(t)
	real, err := alice.m.relay.KTHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fake := kt.TreeHead{Size: real.Size + 3, Time: time.Now()}
	_, _ = rand.Read(fake.Root[:])
	e.forge = func(r *http.Request) (int, []byte) {
		switch r.URL.Path {
		case api.PathKTHead:
			b, _ := json.Marshal(api.KTTreeHead{TreeHead: kt.SignTreeHead(e.logKey, fake).Marshal()})
			return http.StatusOK, b
		case api.PathKTConsistency:
			var from, to uint64
			_, _ = fmt.Sscanf(r.URL.RawQuery, "from=%d&to=%d", &from, &to)
			p := kt.ConsistencyProof{Size1: from, Size2: to, Hashes: []kt.Hash{{1}, {2}, {3}}}
			b, _ := json.Marshal(api.KTProof{Proof: p.Marshal()})
			return http.StatusOK, b
		}
		return 0, nil
	}
	e.on.Store(true)
	if err := alice.m.CheckOwn(ctx); !errors.Is(err, ErrTransparency) {
		t.Fatalf("rewritten history accepted: %v", err)
	}
	wantAlarm(t, alice, 0, kt.ErrInconsistent)
}

// Attack: a binding alice's device did not make is appended (the relay
// serves it to others), then omitted from the entries alice audits.
func TestTransparencyDetectsForeignAndOmittedEntry(t *testing.T) {
	for _, omit := range []bool{false, true} {
		name := map[bool]string{false: "foreign binding", true: "entry omitted"}[omit]
		t.Run(name, func(t *testing.T) {
			e, url := startEvil(t)
			alice := newPeer(t, url, "alice")
			quiet(t, alice)
			ctx := context.Background()
			if err := alice.m.CheckOwn(ctx); err != nil {
				t.Fatal(err)
			}
			e.keys(t)
			// The relay appends a binding of another key to alice's index.
			_, out := kt.ProveIndex(e.vrfKey, alice.m.Handle().Hash())
			other := kt.Binding{IdentityKey: bytes.Repeat([]byte{7}, 32)}
			forged := kt.Entry{Index: out.Index, Version: 2, Time: time.Now(), Commitment: out.Commit(other)}.Marshal()
			pos, err := e.st.AppendLeaf(ctx, out.Index, 2, forged)
			if err != nil {
				t.Fatal(err)
			}
			_ = newPeer(t, url, "bob") // more entries after it
			if omit {
				e.prefix = api.PathKTEntries
				e.rewrite = func(r *http.Request, body []byte) []byte {
					return jsonEdit(t, body, func(p *api.KTEntries) {
						var kept [][]byte
						for i, en := range p.Entries {
							if p.Start+uint64(i) != pos {
								kept = append(kept, en)
							}
						}
						p.Entries = kept
					})
				}
				e.on.Store(true)
			}
			if err := alice.m.CheckOwn(ctx); !errors.Is(err, ErrTransparency) {
				t.Fatalf("%s accepted: %v", name, err)
			}
			if !omit {
				wantAlarm(t, alice, 0, kt.ErrUnknownBinding)
				return
			}
			// The hole shifts every later position: the pages no longer hash
			// to the head, or (as here) the entry after the hole is served
			// twice and its version repeats.
			wantAlarm(t, alice, 0, nil)
			s, _ := alice.m.Transparency(ctx, 0)
			if s.Failure != describe(kt.ErrInconsistent) && s.Failure != describe(kt.ErrRollback) {
				t.Fatalf("omitted entry: %q", s.Failure)
			}
		})
	}
}

// Attack: tree heads not signed by the log key, in a lookup and from
// /v1/kt/sth.
func TestTransparencyDetectsUnsignedHead(t *testing.T) {
	e, url := startEvil(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	ctx := context.Background()
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	e.prefix = api.PathHandles
	e.rewrite = func(_ *http.Request, body []byte) []byte {
		return jsonEdit(t, body, func(l *api.LookupResponse) {
			p, err := kt.ParseLookupProof(l.Transparency)
			if err != nil {
				t.Error(err)
				return
			}
			p.Head = kt.SignTreeHead(other, p.Head.TreeHead)
			l.Transparency = p.Marshal()
		})
	}
	e.on.Store(true)
	if _, err := bob.m.FindContact(ctx, alice.m.Handle()); !errors.Is(err, ErrTransparency) {
		t.Fatalf("head signed by another key accepted: %v", err)
	}
	wantAlarm(t, bob, 0, kt.ErrBadSignature)
	if _, err := bob.m.Store().ContactByHandle(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("contact added from an unverified lookup")
	}
}

// Requiring a witness: without a co-signature lookups are refused; once the
// witness co-signs, they pass.
func TestTransparencyRequireWitness(t *testing.T) {
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	ctx := context.Background()
	wpub, _, _ := ed25519.GenerateKey(rand.Reader)
	quiet(t, alice)
	m := alice.m
	m.cfg.Transparency = TransparencyConfig{Witnesses: []ed25519.PublicKey{wpub}, RequireWitness: true}
	alice.m = m
	if _, err := alice.m.FindContact(ctx, bob.m.Handle()); !errors.Is(err, ErrTransparency) {
		t.Fatalf("unwitnessed head accepted: %v", err)
	}
}
