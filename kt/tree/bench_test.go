package tree

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"testing"
)

// BenchmarkIssueTreeHead is the relay's work per tree head at a million
// entries: the root of the new size plus an Ed25519 signature over the head
// (kt.SignTreeHead signs the same 70 bytes). BenchmarkAppend is the cost per
// new entry; BenchmarkRebuild1M is a node's start-up (all leaves reloaded).
func BenchmarkIssueTreeHead(b *testing.B) {
	var t Tree
	for i := range uint64(1_000_000) {
		t.Append(leaf(i))
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	b.ResetTimer()
	for i := range b.N {
		t.Append(leaf(uint64(1_000_000 + i)))
		root, err := t.Root(t.Size())
		if err != nil {
			b.Fatal(err)
		}
		msg := binary.BigEndian.AppendUint64(root[:], t.Size())
		_ = ed25519.Sign(priv, msg)
	}
}

func BenchmarkInclusion1M(b *testing.B) {
	var t Tree
	for i := range uint64(1_000_000) {
		t.Append(leaf(i))
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := t.Inclusion(uint64(i)%1_000_000, 1_000_000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRebuild1M(b *testing.B) {
	leaves := make([]Hash, 1_000_000)
	for i := range leaves {
		leaves[i] = leaf(uint64(i))
	}
	b.ResetTimer()
	for range b.N {
		var t Tree
		for _, l := range leaves {
			t.Append(l)
		}
		if _, err := t.Root(t.Size()); err != nil {
			b.Fatal(err)
		}
	}
}
