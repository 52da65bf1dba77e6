package tree

import (
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Hash is a node hash.
type Hash = [32]byte

// ErrRange: a size or index beyond what the tree holds.
var ErrRange = errors.New("tree: size or index out of range")

var factory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Tree holds every complete subtree hash: levels[l][i] covers leaves
// [i·2^l, (i+1)·2^l). Not safe for concurrent use.
type Tree struct {
	levels [][]Hash
}

// Size is the number of leaves.
func (t *Tree) Size() uint64 {
	if len(t.levels) == 0 {
		return 0
	}
	return uint64(len(t.levels[0]))
}

// Append adds a leaf hash (kt.LeafHash of an entry).
func (t *Tree) Append(leaf Hash) {
	h := leaf
	for l := 0; ; l++ {
		if l == len(t.levels) {
			t.levels = append(t.levels, nil)
		}
		t.levels[l] = append(t.levels[l], h)
		n := len(t.levels[l])
		if n%2 == 1 {
			return
		}
		copy(h[:], rfc6962.DefaultHasher.HashChildren(t.levels[l][n-2][:], t.levels[l][n-1][:]))
	}
}

func (t *Tree) node(id compact.NodeID) ([]byte, error) {
	if int(id.Level) >= len(t.levels) || id.Index >= uint64(len(t.levels[id.Level])) {
		return nil, fmt.Errorf("%w: node %d/%d", ErrRange, id.Level, id.Index)
	}
	h := t.levels[id.Level][id.Index]
	return h[:], nil
}

func (t *Tree) nodes(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		// Rehash may write into the slice: hand it a copy.
		out[i] = append([]byte(nil), h...)
	}
	return out, nil
}

func toHashes(bs [][]byte) []Hash {
	out := make([]Hash, len(bs))
	for i, b := range bs {
		copy(out[i][:], b)
	}
	return out
}

// Root is the root of the tree of the first size leaves.
func (t *Tree) Root(size uint64) (Hash, error) {
	var out Hash
	if size > t.Size() {
		return out, fmt.Errorf("%w: root of %d, have %d", ErrRange, size, t.Size())
	}
	if size == 0 {
		copy(out[:], rfc6962.DefaultHasher.EmptyRoot())
		return out, nil
	}
	hs, err := t.RangeHashes(size)
	if err != nil {
		return out, err
	}
	r, err := factory.NewRange(0, size, toSlices(hs))
	if err != nil {
		return out, err
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return out, err
	}
	copy(out[:], root)
	return out, nil
}

func toSlices(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

// RangeHashes is the compact range [0, end): the roots of the complete
// subtrees that make up the first end leaves, left to right.
func (t *Tree) RangeHashes(end uint64) ([]Hash, error) {
	if end > t.Size() {
		return nil, fmt.Errorf("%w: range to %d, have %d", ErrRange, end, t.Size())
	}
	hs, err := t.nodes(compact.RangeNodes(0, end, nil))
	if err != nil {
		return nil, err
	}
	return toHashes(hs), nil
}

// Inclusion proves leaf index in the tree of size leaves.
func (t *Tree) Inclusion(index, size uint64) ([]Hash, error) {
	if index >= size || size > t.Size() {
		return nil, fmt.Errorf("%w: leaf %d of %d, have %d", ErrRange, index, size, t.Size())
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

// Consistency proves the tree of size1 leaves a prefix of the one of size2.
func (t *Tree) Consistency(size1, size2 uint64) ([]Hash, error) {
	if size1 > size2 || size2 > t.Size() {
		return nil, fmt.Errorf("%w: consistency %d→%d, have %d", ErrRange, size1, size2, t.Size())
	}
	if size1 == 0 {
		return nil, nil
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

func (t *Tree) rehash(n proof.Nodes) ([]Hash, error) {
	hs, err := t.nodes(n.IDs)
	if err != nil {
		return nil, err
	}
	p, err := n.Rehash(hs, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, err
	}
	return toHashes(p), nil
}
