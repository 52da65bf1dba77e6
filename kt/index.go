package kt

import (
	"fmt"

	"github.com/sotto-im/sotto/crypto/vrf"
)

// ProofSize is the size of an ECVRF-EDWARDS25519-SHA512-TAI proof.
const ProofSize = 80

// indexDomain prefixes the VRF input, so the VRF key is never used for
// anything but log indexes.
const indexDomain = "sotto-kt-index-v1"

// alpha is the VRF input for a handle hash (handle.Hash: the relay never
// sees the handle itself).
func alpha(handleHash Hash) []byte {
	return append([]byte(indexDomain), handleHash[:]...)
}

// VRFOutput is what the VRF gives for one handle: the log index (first half
// of the 64-byte output) and the key of the binding commitment (second
// half). Whoever cannot evaluate the VRF learns nothing from either.
type VRFOutput struct {
	Index     Hash
	commitKey Hash
}

func outputOf(beta [64]byte) VRFOutput {
	var o VRFOutput
	copy(o.Index[:], beta[:HashSize])
	copy(o.commitKey[:], beta[HashSize:])
	return o
}

// Commit is the commitment an entry for this handle carries for b.
func (o VRFOutput) Commit(b Binding) Hash { return b.commit(o.commitKey) }

// ProveIndex evaluates the VRF on a handle hash (the relay's side).
func ProveIndex(k *vrf.PrivateKey, handleHash Hash) ([ProofSize]byte, VRFOutput) {
	pi, beta := k.Prove(alpha(handleHash))
	return pi, outputOf(beta)
}

// VerifyIndex checks a VRF proof for a handle hash against the relay's VRF
// key and returns the output (the client's side).
func VerifyIndex(pk *vrf.PublicKey, handleHash Hash, proof []byte) (VRFOutput, error) {
	beta, err := pk.Verify(alpha(handleHash), proof)
	if err != nil {
		return VRFOutput{}, fmt.Errorf("%w: %w", ErrBadVRF, err)
	}
	return outputOf(beta), nil
}
