package vrf

import (
	"crypto/subtle"

	"filippo.io/edwards25519"
)

// Verify checks that pi is a valid proof for alpha under p (RFC 9381 §5.3,
// with validate_key) and returns the VRF output beta. Any failure —
// malformed proof, wrong input, wrong or unusable key — is ErrInvalidProof,
// and beta is then zero.
func (p *PublicKey) Verify(alpha []byte, pi []byte) (beta [OutputSize]byte, err error) {
	// The all-zero encoding marks the zero value, which ParsePublicKey and
	// Public never return (it is a point of order 4). validate_key runs here
	// too so that the contract holds however p was made.
	if p == nil || p.encoded == [PublicKeySize]byte{} || !validKey(&p.point) {
		return beta, ErrInvalidProof
	}
	return verifyWithoutKeyCheck(&p.point, p.encoded[:], alpha, pi)
}

// verifyWithoutKeyCheck is §5.3 from step 4 on: everything except
// validate_key, for a Y already decoded from yString.
func verifyWithoutKeyCheck(y *edwards25519.Point, yString, alpha, pi []byte) (beta [OutputSize]byte, err error) {
	gamma, c, s, ok := decodeProof(pi)
	if !ok {
		return beta, ErrInvalidProof
	}
	h, _, ok := encodeToCurve(yString, alpha)
	if !ok {
		return beta, ErrInvalidProof
	}
	negC := edwards25519.NewScalar().Negate(challengeScalar(c))
	// U = s·B − c·Y and V = s·H − c·Gamma; everything here is public.
	u := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(negC, y, s)
	v := new(edwards25519.Point).VarTimeMultiScalarMult(
		[]*edwards25519.Scalar{s, negC}, []*edwards25519.Point{h, gamma})
	want := challenge(yString, h.Bytes(), pi[:ptLen], u.Bytes(), v.Bytes())
	if subtle.ConstantTimeCompare(want[:], c) != 1 {
		return beta, ErrInvalidProof
	}
	return gammaToHash(gamma), nil
}

// ProofToHash returns the VRF output of a proof without verifying it
// (RFC 9381 §5.2). Use it only on a proof already verified, or one made by
// Prove; it fails only if pi is malformed.
func ProofToHash(pi []byte) ([OutputSize]byte, error) {
	gamma, _, _, ok := decodeProof(pi)
	if !ok {
		return [OutputSize]byte{}, ErrInvalidProof
	}
	return gammaToHash(gamma), nil
}

// decodeProof is ECVRF_decode_proof (§5.4.4): Gamma must be a canonical
// point encoding and s must be below L. c is returned as its 16 bytes.
func decodeProof(pi []byte) (gamma *edwards25519.Point, c []byte, s *edwards25519.Scalar, ok bool) {
	if len(pi) != ProofSize {
		return nil, nil, nil, false
	}
	gamma, ok = decodePoint(pi[:ptLen])
	if !ok {
		return nil, nil, nil, false
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(pi[ptLen+cLen:])
	if err != nil {
		return nil, nil, nil, false
	}
	return gamma, pi[ptLen : ptLen+cLen], s, true
}
