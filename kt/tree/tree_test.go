package tree

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func leaf(i uint64) Hash {
	var h Hash
	copy(h[:], rfc6962.DefaultHasher.HashLeaf(binary.BigEndian.AppendUint64(nil, i)))
	return h
}

// refRoot is RFC 6962's MTH computed directly by recursion.
func refRoot(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := refRoot(leaves[:k]), refRoot(leaves[k:])
	var out Hash
	copy(out[:], rfc6962.DefaultHasher.HashChildren(l[:], r[:]))
	return out
}

func TestTreeAgainstReference(t *testing.T) {
	var tr Tree
	var leaves []Hash
	const n = 70
	for i := uint64(0); i < n; i++ {
		leaves = append(leaves, leaf(i))
		tr.Append(leaf(i))
	}
	for size := uint64(0); size <= n; size++ {
		root, err := tr.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if root != refRoot(leaves[:size]) {
			t.Fatalf("root of %d differs from the reference", size)
		}
		for i := uint64(0); i < size; i++ {
			p, err := tr.Inclusion(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, size, leaves[i][:], toSlices(p), root[:]); err != nil {
				t.Fatalf("inclusion %d/%d: %v", i, size, err)
			}
		}
		for s1 := uint64(1); s1 <= size; s1++ {
			r1, _ := tr.Root(s1)
			p, err := tr.Consistency(s1, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, s1, size, toSlices(p), r1[:], root[:]); err != nil {
				t.Fatalf("consistency %d→%d: %v", s1, size, err)
			}
		}
	}
	if _, err := tr.Root(n + 1); err == nil {
		t.Fatal("root beyond the tree")
	}
	if _, err := tr.Inclusion(n, n); err == nil {
		t.Fatal("inclusion of a leaf outside the tree")
	}
	if _, err := tr.Consistency(5, n+1); err == nil {
		t.Fatal("consistency beyond the tree")
	}
	// A wrong leaf does not verify.
	p, _ := tr.Inclusion(3, n)
	root, _ := tr.Root(n)
	if proof.VerifyInclusion(rfc6962.DefaultHasher, 3, n, leaves[4][:], toSlices(p), root[:]) == nil {
		t.Fatal("another leaf verified")
	}
}
