package kt

import (
	"crypto/ed25519"
	"fmt"

	"github.com/sotto-im/sotto/crypto/vrf"
)

// Verifier holds what a client trusts about one relay's log: the log's
// signing key, its VRF key and, optionally, witnesses whose co-signature
// every tree head must carry. It keeps no state; see Monitor.
type Verifier struct {
	LogKey    ed25519.PublicKey
	VRFKey    *vrf.PublicKey
	Witnesses []ed25519.PublicKey
	// RequireWitness refuses tree heads without a valid co-signature from
	// one of Witnesses.
	RequireWitness bool
}

// VerifyHead checks the log's signature and, when required, a witness
// co-signature.
func (v *Verifier) VerifyHead(h SignedTreeHead) error {
	if err := h.VerifySignature(v.LogKey); err != nil {
		return err
	}
	if !v.RequireWitness {
		return nil
	}
	for _, c := range h.Cosignatures {
		for _, w := range v.Witnesses {
			if string(c.Witness[:]) == string(w) && h.VerifyCosignature(v.LogKey, c) == nil {
				return nil
			}
		}
	}
	return ErrNotWitnessed
}

// VerifyLookup checks a lookup's answer for the handle with hash handleHash:
// the VRF proof gives the index; the entry is for that index and commits to
// exactly b; the entry is in the tree head; the head is signed. It does not
// check the head against earlier ones (Monitor.Observe does) nor that the
// version is not older than one seen before (the caller compares
// p.Entry.Version).
func (v *Verifier) VerifyLookup(handleHash Hash, b Binding, p LookupProof) (VRFOutput, error) {
	out, err := VerifyIndex(v.VRFKey, handleHash, p.VRFProof[:])
	if err != nil {
		return VRFOutput{}, err
	}
	if p.Entry.Index != out.Index {
		return VRFOutput{}, fmt.Errorf("%w: entry is for another index", ErrBadVRF)
	}
	if out.Commit(b) != p.Entry.Commitment {
		return VRFOutput{}, ErrBindingMismatch
	}
	if err := v.VerifyHead(p.Head); err != nil {
		return VRFOutput{}, err
	}
	if err := p.Inclusion.Verify(p.Entry.LeafHash(), p.Head.TreeHead); err != nil {
		return VRFOutput{}, err
	}
	return out, nil
}
