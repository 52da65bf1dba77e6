package vrf

import (
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"io"

	"filippo.io/edwards25519"
)

// PrivateKey is a VRF private key: an Ed25519-style 32-byte secret expanded
// as in RFC 8032 §5.1.5 into the scalar x and the nonce prefix. It is never
// printed (String and Format hide it); Zero erases it when it is no longer
// needed. Use NewPrivateKey or GenerateKey; the zero value is invalid.
type PrivateKey struct {
	x      edwards25519.Scalar // secret scalar, clamped and reduced mod L
	prefix [32]byte            // second half of SHA-512(SK), the nonce key
	public PublicKey
	zeroed bool
}

// PublicKey is a VRF public key Y = x·B. The zero value is invalid; use
// ParsePublicKey or PrivateKey.Public.
type PublicKey struct {
	point   edwards25519.Point
	encoded [PublicKeySize]byte
}

// NewPrivateKey makes the private key of RFC 9381 §5.5 from a 32-byte secret
// SK, exactly as an Ed25519 private key is made from its seed (RFC 8032
// §5.1.5).
func NewPrivateKey(seed []byte) (*PrivateKey, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("vrf private key: seed is %d bytes, want %d: %w", len(seed), SeedSize, ErrInvalidKey)
	}
	clamped, prefix := expandSeed(seed)
	defer clear(clamped[:])
	k := &PrivateKey{prefix: prefix}
	if _, err := k.x.SetBytesWithClamping(clamped[:]); err != nil {
		panic("vrf: 32-byte scalar rejected") // impossible: the input is 32 bytes
	}
	k.public.point.ScalarBaseMult(&k.x)
	copy(k.public.encoded[:], k.public.point.Bytes())
	return k, nil
}

// expandSeed returns the clamped first half of SHA-512(SK) — the integer x of
// RFC 9381's test vectors, before reduction mod L — and the second half.
func expandSeed(seed []byte) (clamped, prefix [32]byte) {
	h := sha512.Sum512(seed)
	defer clear(h[:])
	copy(clamped[:], h[:32])
	copy(prefix[:], h[32:])
	clamped[0] &= 248
	clamped[31] &= 127
	clamped[31] |= 64
	return clamped, prefix
}

// GenerateKey makes a private key from 32 bytes read from rand.
func GenerateKey(rand io.Reader) (*PrivateKey, error) {
	var seed [SeedSize]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, fmt.Errorf("vrf generate key: read randomness: %w", err)
	}
	return NewPrivateKey(seed[:])
}

// Public returns the public key of k.
func (k *PrivateKey) Public() *PublicKey {
	k.mustBeLive()
	p := k.public
	return &p
}

// Zero overwrites the secret scalar and nonce prefix. Any later use of k
// other than Zero panics.
func (k *PrivateKey) Zero() {
	k.x.Set(edwards25519.NewScalar())
	clear(k.prefix[:])
	k.zeroed = true
}

func (k *PrivateKey) mustBeLive() {
	if k.zeroed {
		panic("vrf: use of a zeroed PrivateKey")
	}
	if k.public.encoded == [PublicKeySize]byte{} {
		panic("vrf: use of a PrivateKey not made by NewPrivateKey or GenerateKey")
	}
}

// String hides the key so it cannot reach a log.
func (PrivateKey) String() string { return "vrf.PrivateKey(…)" }

// Format hides the key from every fmt verb (%v, %+v, %#v, %x, %d, …).
func (k PrivateKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// ParsePublicKey parses a 32-byte public key. It rejects non-canonical
// encodings and points of small order (RFC 9381 §5.4.5 validate_key), so a
// parsed key is one Verify will accept.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("vrf public key: %d bytes, want %d: %w", len(b), PublicKeySize, ErrInvalidKey)
	}
	y, ok := decodePoint(b)
	if !ok {
		return nil, fmt.Errorf("vrf public key: not a canonical curve point: %w", ErrInvalidKey)
	}
	if !validKey(y) {
		return nil, fmt.Errorf("vrf public key: point of small order: %w", ErrInvalidKey)
	}
	p := &PublicKey{}
	p.point.Set(y)
	copy(p.encoded[:], b)
	return p, nil
}

// validKey is ECVRF_validate_key (§5.4.5): cofactor·Y must not be the
// identity.
func validKey(y *edwards25519.Point) bool {
	return new(edwards25519.Point).MultByCofactor(y).Equal(edwards25519.NewIdentityPoint()) == 0
}

// Bytes returns the 32-byte encoding of p.
func (p *PublicKey) Bytes() []byte { return append([]byte(nil), p.encoded[:]...) }

// Equal reports whether p and o are the same key.
func (p *PublicKey) Equal(o *PublicKey) bool {
	return subtle.ConstantTimeCompare(p.encoded[:], o.encoded[:]) == 1
}
