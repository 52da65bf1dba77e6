package vrf

import "errors"

var (
	// ErrInvalidProof: the proof does not verify for this public key and
	// input, or is malformed (wrong length, Gamma not a canonical curve
	// point, s ≥ L), or the public key itself is unusable. Verify and
	// ProofToHash return nothing else.
	ErrInvalidProof = errors.New("vrf: invalid proof")
	// ErrInvalidKey: key bytes have the wrong length, are not a canonical
	// encoding of a curve point, or encode a point of small order.
	ErrInvalidKey = errors.New("vrf: invalid key")
)
