// Package tree is the relay's in-memory RFC 6962 Merkle tree over the log's
// leaf hashes: it appends leaves and answers roots, inclusion proofs,
// consistency proofs and compact ranges for any size it holds. It keeps the
// hash of every complete subtree (about 2 × 32 bytes per leaf: 64 MB at a
// million entries), so each answer costs O(log n) lookups and no hashing
// beyond the one ephemeral node of a proof.
package tree
