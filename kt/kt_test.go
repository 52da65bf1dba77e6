package kt

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/vrf"
	"github.com/sotto-im/sotto/kt/tree"
)

// testLog is an honest log built with the same pieces the relay uses.
type testLog struct {
	t       testing.TB
	logKey  ed25519.PrivateKey
	vrfKey  *vrf.PrivateKey
	tree    tree.Tree
	entries [][]byte
	version map[Hash]uint64
}

func newTestLog(t testing.TB) *testLog {
	_, lk, _ := ed25519.GenerateKey(rand.Reader)
	vk, err := vrf.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{t: t, logKey: lk, vrfKey: vk, version: map[Hash]uint64{}}
}

func (l *testLog) verifier() *Verifier {
	return &Verifier{LogKey: l.logKey.Public().(ed25519.PublicKey), VRFKey: l.vrfKey.Public()}
}

// bind appends a binding for handle hash hh and returns its leaf index.
func (l *testLog) bind(hh Hash, b Binding) uint64 {
	_, out := ProveIndex(l.vrfKey, hh)
	l.version[out.Index]++
	e := Entry{Index: out.Index, Version: l.version[out.Index], Time: time.UnixMilli(time.Now().UnixMilli()), Commitment: out.Commit(b)}
	enc := e.Marshal()
	l.entries = append(l.entries, enc)
	l.tree.Append(LeafHash(enc))
	return uint64(len(l.entries) - 1)
}

func (l *testLog) head(size uint64) SignedTreeHead {
	root, err := l.tree.Root(size)
	if err != nil {
		l.t.Fatal(err)
	}
	return SignTreeHead(l.logKey, TreeHead{Size: size, Root: root, Time: time.Now()})
}

func (l *testLog) lookup(hh Hash, leaf, size uint64) LookupProof {
	pi, _ := ProveIndex(l.vrfKey, hh)
	e, err := ParseEntry(l.entries[leaf])
	if err != nil {
		l.t.Fatal(err)
	}
	hs, err := l.tree.Inclusion(leaf, size)
	if err != nil {
		l.t.Fatal(err)
	}
	return LookupProof{VRFProof: pi, Entry: e, Inclusion: InclusionProof{LeafIndex: leaf, TreeSize: size, Hashes: hs}, Head: l.head(size)}
}

func (l *testLog) consistency(s1, s2 uint64) (ConsistencyProof, error) {
	hs, err := l.tree.Consistency(s1, s2)
	return ConsistencyProof{Size1: s1, Size2: s2, Hashes: hs}, err
}

func handleHash(name string) Hash { return sha256.Sum256([]byte(name)) }

func binding(seed string) Binding {
	ik := sha256.Sum256([]byte("ik" + seed))
	return Binding{IdentityKey: ik[:], DeviceCertificates: [][]byte{[]byte("cert-a-" + seed), []byte("cert-b-" + seed)}}
}

func TestLookupVerifies(t *testing.T) {
	l := newTestLog(t)
	for i := range 20 {
		l.bind(handleHash(string(rune('a'+i))), binding(string(rune('a'+i))))
	}
	alice := handleHash("alice")
	leaf := l.bind(alice, binding("alice"))
	for range 7 {
		l.bind(handleHash("x"), binding("x"))
	}
	p := l.lookup(alice, leaf, l.tree.Size())
	enc := p.Marshal()
	p2, err := ParseLookupProof(enc)
	if err != nil {
		t.Fatal(err)
	}
	v := l.verifier()
	out, err := v.VerifyLookup(alice, binding("alice"), p2)
	if err != nil {
		t.Fatalf("honest lookup: %v", err)
	}
	if out.Index != p.Entry.Index {
		t.Fatal("index")
	}
	// The device order does not matter.
	b := binding("alice")
	b.DeviceCertificates[0], b.DeviceCertificates[1] = b.DeviceCertificates[1], b.DeviceCertificates[0]
	if _, err := v.VerifyLookup(alice, b, p2); err != nil {
		t.Fatalf("reordered devices: %v", err)
	}

	cases := []struct {
		name string
		mut  func(*LookupProof, *Binding, *Hash, *Verifier)
		want error
	}{
		{"other identity key", func(p *LookupProof, b *Binding, _ *Hash, _ *Verifier) { b.IdentityKey = binding("mallory").IdentityKey }, ErrBindingMismatch},
		{"extra device", func(p *LookupProof, b *Binding, _ *Hash, _ *Verifier) {
			b.DeviceCertificates = append(b.DeviceCertificates, []byte("evil"))
		}, ErrBindingMismatch},
		{"other handle", func(p *LookupProof, b *Binding, h *Hash, _ *Verifier) { *h = handleHash("bob") }, ErrBadVRF},
		{"forged VRF proof", func(p *LookupProof, b *Binding, _ *Hash, _ *Verifier) { p.VRFProof[5] ^= 1 }, ErrBadVRF},
		{"head not signed by the log key", func(p *LookupProof, _ *Binding, _ *Hash, _ *Verifier) {
			_, other, _ := ed25519.GenerateKey(rand.Reader)
			p.Head = SignTreeHead(other, p.Head.TreeHead)
		}, ErrBadSignature},
		{"entry not in the tree", func(p *LookupProof, _ *Binding, _ *Hash, _ *Verifier) { p.Inclusion.LeafIndex++ }, ErrNotIncluded},
		{"entry altered", func(p *LookupProof, _ *Binding, _ *Hash, _ *Verifier) { p.Entry.Version++ }, ErrNotIncluded},
		{"witness required", func(p *LookupProof, _ *Binding, _ *Hash, v *Verifier) {
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			v.Witnesses, v.RequireWitness = []ed25519.PublicKey{pub}, true
		}, ErrNotWitnessed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := l.lookup(alice, leaf, l.tree.Size())
			b, h, v := binding("alice"), alice, *l.verifier()
			c.mut(&p, &b, &h, &v)
			if _, err := v.VerifyLookup(h, b, p); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestWitness(t *testing.T) {
	l := newTestLog(t)
	l.bind(handleHash("a"), binding("a"))
	wpub, wpriv, _ := ed25519.GenerateKey(rand.Reader)
	v := l.verifier()
	v.Witnesses, v.RequireWitness = []ed25519.PublicKey{wpub}, true
	h := l.head(1)
	if err := v.VerifyHead(h); !errors.Is(err, ErrNotWitnessed) {
		t.Fatalf("unwitnessed: %v", err)
	}
	c := Cosign(wpriv, v.LogKey, time.Now(), h.TreeHead)
	c2, err := ParseCosignature(c.Marshal())
	if err != nil || c2 != c {
		t.Fatalf("co-signature round trip: %v", err)
	}
	h.Cosignatures = []Cosignature{c}
	h2, err := ParseSignedTreeHead(h.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyHead(h2); err != nil {
		t.Fatalf("witnessed: %v", err)
	}
	// A co-signature over another head does not count.
	other := l.head(1)
	other.Root[0] ^= 1
	h2.Cosignatures = []Cosignature{Cosign(wpriv, v.LogKey, time.Now(), other.TreeHead)}
	if err := v.VerifyHead(h2); !errors.Is(err, ErrNotWitnessed) {
		t.Fatalf("co-signature of another head: %v", err)
	}
	if len(h.Marshal()) > 1024 {
		t.Fatal("tree head over 1 KiB")
	}
}

func TestMonitor(t *testing.T) {
	l := newTestLog(t)
	v := l.verifier()
	var m Monitor
	for i := range 50 {
		l.bind(handleHash(string(rune(i))), binding("x"))
		if i%7 == 0 {
			if err := m.Observe(v, l.head(l.tree.Size()), l.consistency); err != nil {
				t.Fatalf("honest head %d: %v", i, err)
			}
		}
	}
	if m.Largest.Size != 50 {
		t.Fatalf("largest %d", m.Largest.Size)
	}
	// An older head is checked against the largest, and kept out.
	if err := m.Observe(v, l.head(10), l.consistency); err != nil || m.Largest.Size != 50 {
		t.Fatalf("older head: %v", err)
	}
	st, _ := m.MarshalBinary()
	var m2 Monitor
	if err := m2.UnmarshalBinary(st); err != nil || !m2.Largest.TreeHead.Equal(m.Largest.TreeHead) {
		t.Fatalf("state round trip: %v", err)
	}

	// A fork: another log with the same key, same size, other entries.
	f := &testLog{t: t, logKey: l.logKey, vrfKey: l.vrfKey, version: map[Hash]uint64{}}
	for i := range 50 {
		f.bind(handleHash(string(rune(i))), binding("y"))
	}
	if err := m.Observe(v, f.head(50), f.consistency); !errors.Is(err, ErrFork) {
		t.Fatalf("fork: %v", err)
	}
	// Rewritten history: the fork grows; no proof links it to ours.
	f.bind(handleHash("z"), binding("z"))
	if err := m.Observe(v, f.head(51), f.consistency); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("rewritten history: %v", err)
	}
	if err := m.Observe(v, f.head(20), f.consistency); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("smaller forked head: %v", err)
	}
	if m.Largest.Size != 50 {
		t.Fatal("a bad head was kept")
	}
}

func TestAudit(t *testing.T) {
	l := newTestLog(t)
	v := l.verifier()
	for i := range 13 {
		l.bind(handleHash(string(rune(i))), binding("x"))
	}
	alice := handleHash("alice")
	leaf := l.bind(alice, binding("alice"))
	_, out := ProveIndex(l.vrfKey, alice)
	own := Own{Index: out.Index, Commitments: []Hash{out.Commit(binding("alice"))}}
	for range 5 {
		l.bind(handleHash("x"), binding("x"))
	}
	// Start from the compact range before the own entry, append it, and
	// prove the result against a head.
	hs, _ := l.tree.RangeHashes(leaf)
	a, err := NewAudit(leaf, hs)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Append(l.entries[leaf], own); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(l.head(l.tree.Size()).TreeHead, l.consistency); err != nil {
		t.Fatalf("start: %v", err)
	}
	for i := leaf + 1; i < l.tree.Size(); i++ {
		if err := a.Append(l.entries[i], own); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Check(l.head(l.tree.Size()).TreeHead, l.consistency); err != nil {
		t.Fatalf("caught up: %v", err)
	}
	st, _ := a.MarshalBinary()
	var a2 Audit
	if err := a2.UnmarshalBinary(st); err != nil || a2.Size() != a.Size() || a2.Version != 1 {
		t.Fatalf("state round trip: %v", err)
	}

	// A binding the device did not make is caught.
	start := l.tree.Size()
	l.bind(handleHash("y"), binding("y"))
	l.bind(alice, binding("mallory"))
	b := a2
	err = nil
	for i := start; i < l.tree.Size() && err == nil; i++ {
		err = b.Append(l.entries[i], own)
	}
	if !errors.Is(err, ErrUnknownBinding) {
		t.Fatalf("foreign binding: %v", err)
	}

	// Omitting that entry from the listing breaks the root.
	c := a2
	if err := c.Append(l.entries[start], own); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(l.head(l.tree.Size()).TreeHead, l.consistency); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("omitted entry: %v", err)
	}
	_ = v
}

func TestRoundTrips(t *testing.T) {
	e := Entry{Index: handleHash("i"), Version: 3, Time: time.UnixMilli(1234567), Commitment: handleHash("c")}
	if e2, err := ParseEntry(e.Marshal()); err != nil || e2 != e {
		t.Fatalf("entry: %v", err)
	}
	ip := InclusionProof{LeafIndex: 2, TreeSize: 9, Hashes: []Hash{handleHash("a"), handleHash("b")}}
	if p, err := ParseInclusionProof(ip.Marshal()); err != nil || p.LeafIndex != 2 || p.TreeSize != 9 || len(p.Hashes) != 2 || p.Hashes[1] != ip.Hashes[1] {
		t.Fatalf("inclusion: %v", err)
	}
	cp := ConsistencyProof{Size1: 2, Size2: 9, Hashes: []Hash{handleHash("a")}}
	if p, err := ParseConsistencyProof(cp.Marshal()); err != nil || p.Size1 != 2 || p.Size2 != 9 || len(p.Hashes) != 1 {
		t.Fatalf("consistency: %v", err)
	}
	for _, bad := range [][]byte{
		Entry{Version: 0}.Marshal(),
		InclusionProof{LeafIndex: 9, TreeSize: 9}.Marshal(),
		ConsistencyProof{Size1: 9, Size2: 2}.Marshal(),
		append(e.Marshal(), 0),
	} {
		_, e1 := ParseEntry(bad)
		_, e2 := ParseInclusionProof(bad)
		_, e3 := ParseConsistencyProof(bad)
		if e1 == nil && e2 == nil && e3 == nil {
			t.Fatalf("accepted %x", bad)
		}
	}
}
