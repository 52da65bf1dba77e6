package vrf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"testing"

	"filippo.io/edwards25519"
)

// testKey is a fixed key so failures reproduce.
func testKey(t testing.TB, n byte) *PrivateKey {
	t.Helper()
	k, err := NewPrivateKey(bytes.Repeat([]byte{n}, SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestProveVerifyRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	pk := k.Public()
	seen := map[[OutputSize]byte]bool{}
	for _, alpha := range [][]byte{nil, {}, []byte("alice"), []byte("bob"), bytes.Repeat([]byte{0xaa}, 1000)} {
		pi, beta := k.Prove(alpha)
		pi2, beta2 := k.Prove(alpha)
		if pi != pi2 || beta != beta2 {
			t.Fatalf("Prove(%q) is not deterministic", alpha)
		}
		got, err := pk.Verify(alpha, pi[:])
		if err != nil {
			t.Fatalf("Verify(%q) of an honest proof: %v", alpha, err)
		}
		if got != beta {
			t.Fatalf("Verify(%q) beta differs from Prove's", alpha)
		}
		if h, err := ProofToHash(pi[:]); err != nil || h != beta {
			t.Fatalf("ProofToHash(%q) = %x, %v; want Prove's beta", alpha, h[:8], err)
		}
		if len(alpha) > 0 && seen[beta] {
			t.Fatalf("two inputs gave the same beta")
		}
		seen[beta] = true
	}
}

func TestVerifyRejectsTamperedProof(t *testing.T) {
	k := testKey(t, 2)
	pk := k.Public()
	alpha := []byte("alice@example")
	pi, _ := k.Prove(alpha)
	for i := range pi {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := pi
			bad[i] ^= mask
			beta, err := pk.Verify(alpha, bad[:])
			if !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("byte %d ^ %#x: err = %v, want ErrInvalidProof", i, mask, err)
			}
			if beta != [OutputSize]byte{} {
				t.Fatalf("byte %d ^ %#x: rejected proof returned a non-zero beta", i, mask)
			}
		}
	}
}

func TestVerifyRejectsWrongInputOrKey(t *testing.T) {
	k, other := testKey(t, 3), testKey(t, 4)
	pi, _ := k.Prove([]byte("alice"))
	if _, err := k.Public().Verify([]byte("alicf"), pi[:]); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("wrong alpha: err = %v, want ErrInvalidProof", err)
	}
	if _, err := k.Public().Verify([]byte("alice\x00"), pi[:]); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("extended alpha: err = %v, want ErrInvalidProof", err)
	}
	if _, err := other.Public().Verify([]byte("alice"), pi[:]); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("wrong key: err = %v, want ErrInvalidProof", err)
	}
}

func TestVerifyRejectsWrongLength(t *testing.T) {
	k := testKey(t, 5)
	pi, _ := k.Prove([]byte("x"))
	for _, bad := range [][]byte{nil, pi[:ProofSize-1], append(pi[:], 0)} {
		if _, err := k.Public().Verify([]byte("x"), bad); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%d-byte proof: err = %v, want ErrInvalidProof", len(bad), err)
		}
		if _, err := ProofToHash(bad); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("ProofToHash of %d-byte proof: err = %v, want ErrInvalidProof", len(bad), err)
		}
	}
}

// addL returns the 32-byte little-endian s + L, a non-canonical encoding of
// the same scalar.
func addL(s []byte) []byte {
	l := [4]uint64{0x5812631a5cf5d3ed, 0x14def9dea2f79cd6, 0, 0x1000000000000000}
	out := make([]byte, 32)
	var carry uint64
	for i := range 4 {
		var sum uint64
		sum, carry = bits.Add64(binary.LittleEndian.Uint64(s[8*i:]), l[i], carry)
		binary.LittleEndian.PutUint64(out[8*i:], sum)
	}
	return out
}

func TestVerifyRejectsNonCanonicalScalar(t *testing.T) {
	k := testKey(t, 6)
	alpha := []byte("carol")
	pi, _ := k.Prove(alpha)
	s := pi[ptLen+cLen:]

	sPlusL := addL(s)
	// s + L is the same scalar: reduced it equals s, so the math alone
	// would accept it. Only the s < L check of decode_proof stops it.
	wide := append(append([]byte(nil), sPlusL...), make([]byte, 32)...)
	reduced, err := edwards25519.NewScalar().SetUniformBytes(wide)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reduced.Bytes(), s) {
		t.Fatalf("test bug: s+L does not reduce to s")
	}
	l := addL(make([]byte, 32))
	for name, bad := range map[string][]byte{
		"s+L":     sPlusL,
		"L":       l,
		"2^256-1": bytes.Repeat([]byte{0xff}, 32),
	} {
		p := pi
		copy(p[ptLen+cLen:], bad)
		if _, err := k.Public().Verify(alpha, p[:]); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("s = %s: err = %v, want ErrInvalidProof", name, err)
		}
		if _, err := ProofToHash(p[:]); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("ProofToHash with s = %s: err = %v, want ErrInvalidProof", name, err)
		}
	}
}

// offCurve returns 32 bytes that are no point's encoding.
func offCurve(t *testing.T) []byte {
	t.Helper()
	for y := uint64(2); y < 1000; y++ {
		b := make([]byte, 32)
		binary.LittleEndian.PutUint64(b, y)
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			return b
		}
	}
	t.Fatal("no off-curve encoding among small y")
	return nil
}

// nonCanonical returns encodings that filippo.io/edwards25519 decodes but
// RFC 8032 §5.1.3 rejects: y ≥ p, and x = 0 with the sign bit set. The point
// with y = 3 has large order, so only the canonicity check can reject p+3.
func nonCanonical(t *testing.T) map[string][]byte {
	t.Helper()
	pPlus := func(y byte) []byte { // p + y for small y
		b := bytes.Repeat([]byte{0xff}, 32)
		b[0] = 0xed + y
		b[31] = 0x7f
		return b
	}
	negZero := make([]byte, 32)
	negZero[0], negZero[31] = 1, 0x80
	m := map[string][]byte{"y = p": pPlus(0), "y = p+1": pPlus(1), "y = p+3": pPlus(3), "identity with sign bit": negZero}
	for name, b := range m {
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			t.Fatalf("test bug: edwards25519 rejects %s itself", name)
		}
	}
	return m
}

func TestDecodePointIsStrict(t *testing.T) {
	for name, b := range nonCanonical(t) {
		if _, ok := decodePoint(b); ok {
			t.Errorf("decodePoint accepts the non-canonical %s", name)
		}
	}
	if _, ok := decodePoint(offCurve(t)); ok {
		t.Error("decodePoint accepts an off-curve encoding")
	}
	g := edwards25519.NewGeneratorPoint().Bytes()
	if p, ok := decodePoint(g); !ok || p.Equal(edwards25519.NewGeneratorPoint()) != 1 {
		t.Error("decodePoint rejects the base point")
	}
}

func TestVerifyRejectsBadGamma(t *testing.T) {
	k := testKey(t, 7)
	alpha := []byte("dave")
	pi, _ := k.Prove(alpha)
	bad := map[string][]byte{"off curve": offCurve(t)}
	for name, b := range nonCanonical(t) {
		bad[name] = b
	}
	for name, g := range bad {
		p := pi
		copy(p[:ptLen], g)
		if _, err := k.Public().Verify(alpha, p[:]); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("Gamma %s: err = %v, want ErrInvalidProof", name, err)
		}
		if _, err := ProofToHash(p[:]); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("ProofToHash with Gamma %s: err = %v, want ErrInvalidProof", name, err)
		}
	}
}

// smallOrderPoints returns the canonical encodings of the eight points of
// order dividing 8, found as the torsion component of a hashed point.
func smallOrderPoints(t *testing.T) [][]byte {
	t.Helper()
	eight := edwards25519.NewScalar()
	eight.SetCanonicalBytes(append([]byte{8}, make([]byte, 31)...))
	invEight := edwards25519.NewScalar().Invert(eight)
	for ctr := byte(0); ctr < 255; ctr++ {
		p, ok := decodePoint(bytes.Repeat([]byte{ctr}, 32))
		if !ok {
			continue
		}
		prime := new(edwards25519.Point).ScalarMult(invEight, new(edwards25519.Point).MultByCofactor(p))
		torsion := new(edwards25519.Point).Subtract(p, prime)
		set := map[string]bool{}
		var out [][]byte
		q := edwards25519.NewIdentityPoint()
		for range 8 {
			q.Add(q, torsion)
			if !set[string(q.Bytes())] {
				set[string(q.Bytes())] = true
				out = append(out, q.Bytes())
			}
		}
		if len(out) == 8 {
			return out
		}
	}
	t.Fatal("no point with a torsion component of order 8 found")
	return nil
}

func TestParsePublicKeyRejects(t *testing.T) {
	small := smallOrderPoints(t)
	for _, b := range small {
		if _, err := ParsePublicKey(b); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("small-order key %x: err = %v, want ErrInvalidKey", b, err)
		}
	}
	for name, b := range nonCanonical(t) {
		if _, err := ParsePublicKey(b); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", name, err)
		}
	}
	if _, err := ParsePublicKey(offCurve(t)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("off-curve key: err = %v, want ErrInvalidKey", err)
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := ParsePublicKey(make([]byte, n)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%d-byte key: err = %v, want ErrInvalidKey", n, err)
		}
	}
	// A mixed-order key (prime-order part plus torsion) passes
	// validate_key, as RFC 9381 §5.4.5 specifies.
	k := testKey(t, 8)
	mixed := new(edwards25519.Point).Add(&k.Public().point, mustPoint(t, small[0]))
	if _, err := ParsePublicKey(mixed.Bytes()); err != nil {
		t.Errorf("mixed-order key rejected: %v", err)
	}
}

func mustPoint(t *testing.T, b []byte) *edwards25519.Point {
	t.Helper()
	p, ok := decodePoint(b)
	if !ok {
		t.Fatalf("%x is not a point", b)
	}
	return p
}

// TestVerifyRejectsSmallOrderKey forges, with no secret, a proof under the
// identity key that passes every check but validate_key, then shows Verify
// rejects it. Without validate_key anyone could "prove" any input under such
// a key, with one beta for all of them.
func TestVerifyRejectsSmallOrderKey(t *testing.T) {
	yString := smallOrderPoints(t)[7] // 8·T: the identity
	y := mustPoint(t, yString)
	if y.Equal(edwards25519.NewIdentityPoint()) != 1 {
		t.Fatal("test bug: expected the identity")
	}
	alpha := []byte("anyone")
	h, _, _ := encodeToCurve(yString, alpha)
	s := edwards25519.NewScalar()
	s.SetCanonicalBytes(append([]byte{42}, make([]byte, 31)...))
	gamma := edwards25519.NewIdentityPoint()
	u := new(edwards25519.Point).ScalarBaseMult(s)
	v := new(edwards25519.Point).ScalarMult(s, h)
	c := challenge(yString, h.Bytes(), gamma.Bytes(), u.Bytes(), v.Bytes())
	forged := append(append(gamma.Bytes(), c[:]...), s.Bytes()...)

	if _, err := verifyWithoutKeyCheck(y, yString, alpha, forged); err != nil {
		t.Fatalf("test bug: the forgery does not pass the proof checks: %v", err)
	}
	pk := &PublicKey{}
	pk.point.Set(y)
	copy(pk.encoded[:], yString)
	if _, err := pk.Verify(alpha, forged); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("forged proof under the identity key: err = %v, want ErrInvalidProof", err)
	}
}

func TestVerifyUnusableKeyDoesNotPanic(t *testing.T) {
	pi, _ := testKey(t, 9).Prove(nil)
	var nilKey *PublicKey
	for name, pk := range map[string]*PublicKey{"nil": nilKey, "zero value": {}} {
		if _, err := pk.Verify(nil, pi[:]); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%s key: err = %v, want ErrInvalidProof", name, err)
		}
	}
}

func TestNewPrivateKeyRejectsWrongLength(t *testing.T) {
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := NewPrivateKey(make([]byte, n)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%d-byte seed: err = %v, want ErrInvalidKey", n, err)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	seed := bytes.Repeat([]byte{0x5a}, SeedSize)
	k, err := GenerateKey(bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := NewPrivateKey(seed)
	if !k.Public().Equal(want.Public()) {
		t.Error("GenerateKey does not use the 32 bytes it reads as the seed")
	}
	if _, err := GenerateKey(bytes.NewReader(seed[:10])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestPrivateKeyNeverPrinted(t *testing.T) {
	k := testKey(t, 10)
	secrets := []string{fmt.Sprintf("%x", k.prefix[:8]), fmt.Sprintf("%x", k.x.Bytes()[:8])}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
		for _, arg := range []any{k, *k} {
			out := fmt.Sprintf(verb, arg)
			if out != "vrf.PrivateKey(…)" {
				t.Errorf("Sprintf(%s, %T) = %q", verb, arg, out)
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Fatalf("Sprintf(%s) leaks the key", verb)
				}
			}
		}
	}
}

func TestZero(t *testing.T) {
	k := testKey(t, 11)
	k.Zero()
	if k.prefix != [32]byte{} || k.x.Equal(edwards25519.NewScalar()) != 1 {
		t.Fatal("Zero left secret material behind")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "zeroed") {
			t.Fatalf("Prove after Zero: recovered %v, want a zeroed-key panic", r)
		}
	}()
	k.Prove([]byte("x"))
}
