package kt

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"
)

// BenchmarkVerifyLookup is the client's cost per key lookup in a log of a
// million entries: VRF proof, commitment, head signature and inclusion.
// BenchmarkEd25519Verify is the floor measured in the same run.
func BenchmarkVerifyLookup(b *testing.B) {
	l := newTestLog(b)
	var target Hash
	for i := range 1 << 20 {
		if i == 777_777 {
			target = handleHash("alice")
			l.bind(target, binding("alice"))
			continue
		}
		var e Entry
		e.Index[0], e.Index[1], e.Index[2] = byte(i), byte(i>>8), byte(i>>16)
		e.Version, e.Time = 1, time.UnixMilli(0)
		enc := e.Marshal()
		l.entries = append(l.entries, enc)
		l.tree.Append(LeafHash(enc))
	}
	p := l.lookup(target, 777_777, l.tree.Size())
	enc := p.Marshal()
	v := l.verifier()
	bind := binding("alice")
	b.ReportMetric(float64(len(enc)), "proof-bytes")
	b.ResetTimer()
	for range b.N {
		p, err := ParseLookupProof(enc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.VerifyLookup(target, bind, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := make([]byte, 64)
	sig := ed25519.Sign(priv, msg)
	for range b.N {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("verify")
		}
	}
}
