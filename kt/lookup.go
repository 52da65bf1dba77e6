package kt

import (
	"fmt"

	"github.com/sotto-im/sotto/crypto/wire"
)

// LookupProof comes with every handle lookup, so one lookup is one round
// trip: the VRF proof of the handle's index, the latest entry for that index,
// its inclusion proof and the signed tree head it leads to.
type LookupProof struct {
	VRFProof  [ProofSize]byte
	Entry     Entry
	Inclusion InclusionProof
	Head      SignedTreeHead
}

// MaxLookupProofSize bounds an encoded LookupProof.
const MaxLookupProofSize = 2 + 4 + ProofSize + 4 + MaxEntrySize + 4 + MaxInclusionSize + 4 + MaxTreeHeadSize

// Marshal encodes p.
func (p LookupProof) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeKTLookup, 1024)
	e.Bytes(p.VRFProof[:])
	e.Bytes(p.Entry.Marshal())
	e.Bytes(p.Inclusion.Marshal())
	e.Bytes(p.Head.Marshal())
	return e.Finish()
}

// ParseLookupProof decodes a LookupProof strictly (nothing is verified).
func ParseLookupProof(b []byte) (LookupProof, error) {
	var p LookupProof
	d := wire.NewDecoder(b, wire.TypeKTLookup)
	copy(p.VRFProof[:], d.Fixed("vrf proof", ProofSize))
	entry := d.Bytes("entry", MaxEntrySize)
	incl := d.Bytes("inclusion", MaxInclusionSize)
	head := d.Bytes("tree head", MaxTreeHeadSize)
	if err := d.Finish(); err != nil {
		return LookupProof{}, fmt.Errorf("%w: lookup proof: %w", ErrMalformed, err)
	}
	var err error
	if p.Entry, err = ParseEntry(entry); err != nil {
		return LookupProof{}, err
	}
	if p.Inclusion, err = ParseInclusionProof(incl); err != nil {
		return LookupProof{}, err
	}
	if p.Head, err = ParseSignedTreeHead(head); err != nil {
		return LookupProof{}, err
	}
	return p, nil
}
