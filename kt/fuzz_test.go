package kt

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"
)

func seeds(f *testing.F) {
	l := newTestLog(f)
	for i := range 9 {
		l.bind(handleHash(string(rune(i))), binding("x"))
	}
	p := l.lookup(handleHash(string(rune(3))), 3, 9)
	_, wk, _ := ed25519.GenerateKey(rand.Reader)
	p.Head.Cosignatures = []Cosignature{Cosign(wk, l.verifier().LogKey, time.Now(), p.Head.TreeHead)}
	c, _ := l.consistency(4, 9)
	a, _ := NewAudit(0, nil)
	ab, _ := a.MarshalBinary()
	var m Monitor
	_ = m.Observe(l.verifier(), p.Head, l.consistency)
	mb, _ := m.MarshalBinary()
	for _, s := range [][]byte{p.Marshal(), p.Entry.Marshal(), p.Inclusion.Marshal(), p.Head.Marshal(), c.Marshal(), p.Head.Cosignatures[0].Marshal(), ab, mb, nil, {1}, {1, 14}} {
		f.Add(s)
	}
}

func FuzzParseLookupProof(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseLookupProof(b)
		if err != nil {
			return
		}
		if q, err := ParseLookupProof(p.Marshal()); err != nil || q.Entry != p.Entry {
			t.Fatalf("re-encoding: %v", err)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := ParseEntry(b); err == nil && string(e.Marshal()) != string(b) {
			t.Fatal("entry encoding is not canonical")
		}
	})
}

func FuzzParseSignedTreeHead(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseSignedTreeHead(b); err == nil && string(h.Marshal()) != string(b) {
			t.Fatal("tree head encoding is not canonical")
		}
	})
}

func FuzzParseCosignature(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := ParseCosignature(b); err == nil && string(c.Marshal()) != string(b) {
			t.Fatal("co-signature encoding is not canonical")
		}
	})
}

func FuzzParseProofs(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ParseInclusionProof(b); err == nil {
			if string(p.Marshal()) != string(b) {
				t.Fatal("inclusion encoding is not canonical")
			}
			_ = p.Verify(Hash{}, TreeHead{Size: p.TreeSize})
		}
		if p, err := ParseConsistencyProof(b); err == nil {
			if string(p.Marshal()) != string(b) {
				t.Fatal("consistency encoding is not canonical")
			}
			_ = p.Verify(TreeHead{Size: p.Size1, Root: Hash{1}}, TreeHead{Size: p.Size2})
		}
	})
}

func FuzzStates(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Audit
		if a.UnmarshalBinary(b) == nil {
			_, _ = a.Root()
		}
		var m Monitor
		_ = m.UnmarshalBinary(b)
	})
}
