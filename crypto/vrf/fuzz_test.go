package vrf

import (
	"bytes"
	"testing"
)

// FuzzVerify feeds arbitrary keys, proofs and inputs to ParsePublicKey,
// Verify and ProofToHash: none may panic, an honest proof from a fixed key
// must always verify, and no other proof may give that key a different
// output for the same input (uniqueness).
func FuzzVerify(f *testing.F) {
	fixed := testKey(f, 0x42)
	for _, v := range loadRFCVectors(f) {
		f.Add([]byte(v.PK), []byte(v.Pi), []byte(v.Alpha))
	}
	pi, _ := fixed.Prove([]byte("seed"))
	f.Add(fixed.Public().Bytes(), pi[:], []byte("seed"))
	bad := pi
	bad[ProofSize-1] = 0xff // s ≥ L
	f.Add(fixed.Public().Bytes(), bad[:], []byte("seed"))
	f.Add(make([]byte, 32), make([]byte, ProofSize), []byte{})
	f.Add([]byte{}, []byte{}, []byte(nil))

	fixedPub := fixed.Public()
	f.Fuzz(func(t *testing.T, pkBytes, pi, alpha []byte) {
		honestPi, honestBeta := fixed.Prove(alpha)
		beta, err := fixedPub.Verify(alpha, honestPi[:])
		if err != nil || beta != honestBeta {
			t.Fatalf("honest proof for %x rejected: %v", alpha, err)
		}
		if beta, err := fixedPub.Verify(alpha, pi); err == nil && beta != honestBeta {
			t.Fatalf("a second proof gives another output for %x", alpha)
		}

		hashed, hashErr := ProofToHash(pi)
		pk, err := ParsePublicKey(pkBytes)
		if err != nil {
			return
		}
		if !bytes.Equal(pk.Bytes(), pkBytes) {
			t.Fatalf("Bytes() = %x, parsed from %x", pk.Bytes(), pkBytes)
		}
		beta, err = pk.Verify(alpha, pi)
		if err == nil && (hashErr != nil || beta != hashed) {
			t.Fatal("Verify accepts a proof whose ProofToHash differs")
		}
	})
}
