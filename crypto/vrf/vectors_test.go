package vrf

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"filippo.io/edwards25519"
)

// rfcVector is one example of RFC 9381 Appendix B.3.
type rfcVector struct {
	Name  string
	SK    hexBytes
	PK    hexBytes
	Alpha hexBytes
	X     hexBytes
	Ctr   int
	H     hexBytes
	K     hexBytes
	U     hexBytes
	V     hexBytes
	Pi    hexBytes
	Beta  hexBytes
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

func loadRFCVectors(t testing.TB) []rfcVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/rfc9381_edwards25519_sha512_tai.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Vectors []rfcVector }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	if len(file.Vectors) != 3 {
		t.Fatalf("got %d vectors, want the 3 of RFC 9381 B.3", len(file.Vectors))
	}
	return file.Vectors
}

// TestRFC9381Vectors checks every value RFC 9381 B.3 publishes: the key
// expansion, H and its counter, the nonce digest k, U, V, the challenge, the
// proof and the output, through Prove, Verify and ProofToHash.
func TestRFC9381Vectors(t *testing.T) {
	for _, v := range loadRFCVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			expect := func(what string, got, want []byte) {
				t.Helper()
				if !bytes.Equal(got, want) {
					t.Errorf("%s = %x, want %x", what, got, want)
				}
			}

			k, err := NewPrivateKey(v.SK)
			if err != nil {
				t.Fatal(err)
			}
			expect("PK", k.Public().Bytes(), v.PK)
			expect("PK (crypto/ed25519)", ed25519.NewKeyFromSeed(v.SK).Public().(ed25519.PublicKey), v.PK)
			clamped, _ := expandSeed(v.SK)
			expect("x", clamped[:], v.X)

			h, ctr, ok := encodeToCurve(v.PK, v.Alpha)
			if !ok {
				t.Fatal("encode_to_curve failed")
			}
			expect("H", h.Bytes(), v.H)
			if ctr != v.Ctr {
				t.Errorf("try_and_increment succeeded on ctr = %d, want %d", ctr, v.Ctr)
			}

			kHash := nonceHash(&k.prefix, h.Bytes())
			expect("k", kHash[:], v.K)
			nonce, err := edwards25519.NewScalar().SetUniformBytes(v.K)
			if err != nil {
				t.Fatal(err)
			}
			u := new(edwards25519.Point).ScalarBaseMult(nonce)
			vp := new(edwards25519.Point).ScalarMult(nonce, h)
			expect("U", u.Bytes(), v.U)
			expect("V", vp.Bytes(), v.V)
			c := challenge(v.PK, v.H, v.Pi[:ptLen], v.U, v.V)
			expect("c", c[:], v.Pi[ptLen:ptLen+cLen])

			pi, beta := k.Prove(v.Alpha)
			expect("pi", pi[:], v.Pi)
			expect("beta (Prove)", beta[:], v.Beta)

			pk, err := ParsePublicKey(v.PK)
			if err != nil {
				t.Fatal(err)
			}
			vBeta, err := pk.Verify(v.Alpha, v.Pi)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			expect("beta (Verify)", vBeta[:], v.Beta)

			hBeta, err := ProofToHash(v.Pi)
			if err != nil {
				t.Fatalf("ProofToHash: %v", err)
			}
			expect("beta (ProofToHash)", hBeta[:], v.Beta)
		})
	}
}
