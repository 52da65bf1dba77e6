package kt

import (
	"fmt"

	"github.com/sotto-im/sotto/crypto/wire"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// MaxProofHashes bounds the hashes of one proof (a tree of 2^64 leaves
// needs at most 64 for inclusion, ~128 for consistency; real ones are far
// smaller).
const MaxProofHashes = 130

// InclusionProof shows that leaf LeafIndex is in the tree of TreeSize.
type InclusionProof struct {
	LeafIndex uint64
	TreeSize  uint64
	Hashes    []Hash
}

// ConsistencyProof shows that the tree of Size1 is a prefix of the tree of
// Size2.
type ConsistencyProof struct {
	Size1, Size2 uint64
	Hashes       []Hash
}

func byteSlices(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

// Verify checks that leaf is at LeafIndex in the tree whose head is h.
func (p InclusionProof) Verify(leaf Hash, h TreeHead) error {
	if p.TreeSize != h.Size {
		return fmt.Errorf("%w: proof for size %d, head of size %d", ErrNotIncluded, p.TreeSize, h.Size)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.LeafIndex, p.TreeSize, leaf[:], byteSlices(p.Hashes), h.Root[:]); err != nil {
		return fmt.Errorf("%w: %w", ErrNotIncluded, err)
	}
	return nil
}

// Verify checks that old is a prefix of new.
func (p ConsistencyProof) Verify(old, new TreeHead) error {
	if p.Size1 != old.Size || p.Size2 != new.Size {
		return fmt.Errorf("%w: proof for %d→%d, heads %d→%d", ErrInconsistent, p.Size1, p.Size2, old.Size, new.Size)
	}
	if old.Size == 0 {
		if len(p.Hashes) != 0 {
			return fmt.Errorf("%w: proof from the empty tree is not empty", ErrInconsistent)
		}
		return nil
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, p.Size1, p.Size2, byteSlices(p.Hashes), old.Root[:], new.Root[:]); err != nil {
		return fmt.Errorf("%w: %w", ErrInconsistent, err)
	}
	return nil
}

func encodeHashes(e *wire.Encoder, hs []Hash) {
	e.Uint32(uint32(len(hs)))
	for _, h := range hs {
		e.Bytes(h[:])
	}
}

func decodeHashes(d *wire.Decoder) []Hash {
	n := d.Uint32("hashes")
	if d.Err() == nil && n > MaxProofHashes {
		d.Fail("hashes", wire.ErrOversize)
	}
	var out []Hash
	for i := uint32(0); i < n && d.Err() == nil; i++ {
		var h Hash
		copy(h[:], d.Fixed("hash", HashSize))
		out = append(out, h)
	}
	return out
}

// MaxInclusionSize bounds an encoded InclusionProof.
const MaxInclusionSize = 2 + 8 + 8 + 4 + MaxProofHashes*(4+HashSize)

// Marshal encodes p.
func (p InclusionProof) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeKTInclusion, 22+len(p.Hashes)*(4+HashSize))
	e.Uint64(p.LeafIndex)
	e.Uint64(p.TreeSize)
	encodeHashes(e, p.Hashes)
	return e.Finish()
}

// ParseInclusionProof decodes an InclusionProof strictly.
func ParseInclusionProof(b []byte) (InclusionProof, error) {
	var p InclusionProof
	d := wire.NewDecoder(b, wire.TypeKTInclusion)
	p.LeafIndex = d.Uint64("leaf index")
	p.TreeSize = d.Uint64("tree size")
	p.Hashes = decodeHashes(d)
	if err := d.Finish(); err != nil {
		return InclusionProof{}, fmt.Errorf("%w: inclusion proof: %w", ErrMalformed, err)
	}
	if p.LeafIndex >= p.TreeSize {
		return InclusionProof{}, fmt.Errorf("%w: leaf %d outside a tree of %d", ErrMalformed, p.LeafIndex, p.TreeSize)
	}
	return p, nil
}

// Marshal encodes p.
func (p ConsistencyProof) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeKTConsistency, 22+len(p.Hashes)*(4+HashSize))
	e.Uint64(p.Size1)
	e.Uint64(p.Size2)
	encodeHashes(e, p.Hashes)
	return e.Finish()
}

// ParseConsistencyProof decodes a ConsistencyProof strictly.
func ParseConsistencyProof(b []byte) (ConsistencyProof, error) {
	var p ConsistencyProof
	d := wire.NewDecoder(b, wire.TypeKTConsistency)
	p.Size1 = d.Uint64("size 1")
	p.Size2 = d.Uint64("size 2")
	p.Hashes = decodeHashes(d)
	if err := d.Finish(); err != nil {
		return ConsistencyProof{}, fmt.Errorf("%w: consistency proof: %w", ErrMalformed, err)
	}
	if p.Size1 > p.Size2 {
		return ConsistencyProof{}, fmt.Errorf("%w: consistency from %d down to %d", ErrMalformed, p.Size1, p.Size2)
	}
	return p, nil
}
