package vrf

import (
	"crypto/ed25519"
	"testing"
)

// The benchmarks time one Prove and one Verify on a 32-byte input (the size
// of a hashed handle). The Ed25519 sign and verify benchmarks are the
// baseline of the same curve in the same run: Prove does three fixed-base or
// variable-base scalar multiplications where Sign does one, Verify two
// double-scalar multiplications where Ed25519 verify does one.
//
//	go test -run '^$' -bench . -benchtime 1s ./crypto/vrf/

var benchAlpha = []byte("0123456789abcdef0123456789abcdef")

func BenchmarkProve(b *testing.B) {
	k := testKey(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		k.Prove(benchAlpha)
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKey(b, 1)
	pk := k.Public()
	pi, _ := k.Prove(benchAlpha)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pk.Verify(benchAlpha, pi[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519SignBaseline(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	for b.Loop() {
		ed25519.Sign(priv, benchAlpha)
	}
}

func BenchmarkEd25519VerifyBaseline(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(priv, benchAlpha)
	for b.Loop() {
		if !ed25519.Verify(pub, benchAlpha, sig) {
			b.Fatal("baseline signature rejected")
		}
	}
}
