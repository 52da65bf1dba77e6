package vrf

import (
	"bytes"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// Sizes of the ECVRF-EDWARDS25519-SHA512-TAI encodings.
const (
	// ProofSize is the length of a proof: Gamma (32) || c (16) || s (32).
	ProofSize = ptLen + cLen + qLen
	// OutputSize is the length of the VRF output beta (a SHA-512 digest).
	OutputSize = sha512.Size
	// PublicKeySize is the length of an encoded public key.
	PublicKeySize = ptLen
	// SeedSize is the length of the secret a private key is made from.
	SeedSize = 32
)

const (
	suiteString = 0x03 // ECVRF-EDWARDS25519-SHA512-TAI
	ptLen       = 32   // point_to_string length
	cLen        = 16   // challenge length
	qLen        = 32   // scalar length

	// Domain separators of RFC 9381 §5.
	dsEncodeToCurveFront = 0x01
	dsChallengeFront     = 0x02
	dsProofToHashFront   = 0x03
	dsBack               = 0x00
)

// decodePoint is string_to_point: RFC 8032 §5.1.3 decoding, which rejects
// non-canonical encodings (y ≥ p, or x = 0 with the sign bit set). The
// edwards25519 package accepts those, so the re-encoding must match.
func decodePoint(b []byte) (*edwards25519.Point, bool) {
	if len(b) != ptLen {
		return nil, false
	}
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil || !bytes.Equal(p.Bytes(), b) {
		return nil, false
	}
	return p, true
}

// encodeToCurve is ECVRF_encode_to_curve_try_and_increment (§5.4.1.1) with
// the public key string as salt. The caller's alpha is hashed with a one-byte
// counter until the first 32 bytes of the digest decode to a point, which is
// then multiplied by the cofactor. Each try succeeds with probability about
// 1/2, so failing all 256 has probability 2^-256; ok is false then. ctr is
// the counter that succeeded.
func encodeToCurve(salt, alpha []byte) (h *edwards25519.Point, ctr int, ok bool) {
	d := sha512.New()
	var sum [sha512.Size]byte
	for ctr = 0; ctr < 256; ctr++ {
		d.Reset()
		d.Write([]byte{suiteString, dsEncodeToCurveFront})
		d.Write(salt)
		d.Write(alpha)
		d.Write([]byte{byte(ctr), dsBack})
		d.Sum(sum[:0])
		if p, ok := decodePoint(sum[:ptLen]); ok {
			return p.MultByCofactor(p), ctr, true
		}
	}
	return nil, 0, false
}

// nonceHash is the digest of §5.4.2.2 (the RFC 8032 nonce): SHA-512 of the
// second half of SHA-512(SK) followed by h_string. Reduced mod L it is k.
func nonceHash(prefix *[32]byte, hString []byte) [sha512.Size]byte {
	d := sha512.New()
	d.Write(prefix[:])
	d.Write(hString)
	var sum [sha512.Size]byte
	d.Sum(sum[:0])
	return sum
}

// challenge is ECVRF_challenge_generation (§5.4.3) over the already encoded
// points Y, H, Gamma, U, V: the first cLen bytes of the digest.
func challenge(points ...[]byte) [cLen]byte {
	d := sha512.New()
	d.Write([]byte{suiteString, dsChallengeFront})
	for _, p := range points {
		d.Write(p)
	}
	d.Write([]byte{dsBack})
	var sum [sha512.Size]byte
	d.Sum(sum[:0])
	var c [cLen]byte
	copy(c[:], sum[:cLen])
	return c
}

// challengeScalar is string_to_int of a challenge: 16 little-endian bytes,
// always below L.
func challengeScalar(c []byte) *edwards25519.Scalar {
	var b [qLen]byte
	copy(b[:], c)
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic("vrf: 128-bit challenge rejected as a scalar") // impossible: c < 2^128 < L
	}
	return s
}

// gammaToHash is the body of ECVRF_proof_to_hash (§5.2): the output for a
// decoded Gamma.
func gammaToHash(gamma *edwards25519.Point) [OutputSize]byte {
	d := sha512.New()
	d.Write([]byte{suiteString, dsProofToHashFront})
	d.Write(new(edwards25519.Point).MultByCofactor(gamma).Bytes())
	d.Write([]byte{dsBack})
	var beta [OutputSize]byte
	d.Sum(beta[:0])
	return beta
}
