package kt

import (
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/wire"
	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the size of indexes, commitments, roots and node hashes.
const HashSize = 32

// Hash is a SHA-256 value: a VRF index, a commitment or a Merkle node.
type Hash = [HashSize]byte

// Entry is one leaf of the log: at Time, the handle whose VRF index is Index
// got its Version-th binding, committed to by Commitment (see
// VRFOutput.Commit). The log reveals neither the handle nor the keys: the
// index is a VRF output only the relay can compute from a handle hash, and
// the commitment is keyed by the other half of the same output.
type Entry struct {
	Index      Hash
	Version    uint64 // 1 for an index's first binding, +1 for each change
	Time       time.Time
	Commitment Hash
}

// MaxEntrySize bounds an encoded Entry.
const MaxEntrySize = 2 + 4 + HashSize + 8 + 8 + 4 + HashSize

// Marshal encodes e (times at millisecond precision).
func (e Entry) Marshal() []byte {
	enc := wire.NewEncoder(wire.TypeKTEntry, MaxEntrySize)
	enc.Bytes(e.Index[:])
	enc.Uint64(e.Version)
	enc.Int64(e.Time.UnixMilli())
	enc.Bytes(e.Commitment[:])
	return enc.Finish()
}

// ParseEntry decodes an Entry strictly.
func ParseEntry(b []byte) (Entry, error) {
	var e Entry
	d := wire.NewDecoder(b, wire.TypeKTEntry)
	copy(e.Index[:], d.Fixed("index", HashSize))
	e.Version = d.Uint64("version")
	ms := d.Int64("time")
	copy(e.Commitment[:], d.Fixed("commitment", HashSize))
	if err := d.Finish(); err != nil {
		return Entry{}, fmt.Errorf("%w: entry: %w", ErrMalformed, err)
	}
	if e.Version == 0 {
		return Entry{}, fmt.Errorf("%w: entry version 0", ErrMalformed)
	}
	e.Time = time.UnixMilli(ms)
	return e, nil
}

// LeafHash is the RFC 6962 leaf hash of e's encoding.
func (e Entry) LeafHash() Hash { return LeafHash(e.Marshal()) }

// LeafHash is the RFC 6962 leaf hash of an encoded entry.
func LeafHash(encoded []byte) Hash {
	var h Hash
	copy(h[:], rfc6962.DefaultHasher.HashLeaf(encoded))
	return h
}
