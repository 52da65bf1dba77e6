package kt

import (
	"encoding/binary"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Own is what an account's device knows it put in the log: its VRF index and
// the commitments of the bindings it made.
type Own struct {
	Index       Hash
	Commitments []Hash
}

func (o Own) made(c Hash) bool {
	for _, x := range o.Commitments {
		if x == c {
			return true
		}
	}
	return false
}

// Audit is an account's own check of the log: it replays every entry after
// the point it started from, hashing them into a compact range [0, Size), so
// the relay cannot hide an entry for the account's index (the entries must
// hash to each new tree head). Entries for the account's index must be ones
// the device made, with rising versions. The state is about 20 hashes at a
// million entries.
type Audit struct {
	rng *compact.Range
	// Version is the newest version seen for the account's index.
	Version uint64
}

// NewAudit starts an audit from the compact range [0, size) given by its
// hashes (from the relay; unverified until the first Check).
func NewAudit(size uint64, hashes []Hash) (*Audit, error) {
	r, err := rangeFactory.NewRange(0, size, byteSlices(hashes))
	if err != nil {
		return nil, fmt.Errorf("%w: compact range: %w", ErrMalformed, err)
	}
	return &Audit{rng: r}, nil
}

// Size is how many entries the audit has hashed.
func (a *Audit) Size() uint64 { return a.rng.End() }

// Append hashes the next entry (encoded as the relay stores it) and checks
// it when it is for own's index.
func (a *Audit) Append(encoded []byte, own Own) error {
	e, err := ParseEntry(encoded)
	if err != nil {
		return err
	}
	if e.Index == own.Index {
		if !own.made(e.Commitment) {
			return fmt.Errorf("%w (entry %d, version %d)", ErrUnknownBinding, a.rng.End(), e.Version)
		}
		if e.Version <= a.Version {
			return fmt.Errorf("%w: version %d after %d", ErrRollback, e.Version, a.Version)
		}
		a.Version = e.Version
	}
	h := LeafHash(encoded)
	return a.rng.Append(h[:], nil)
}

// Root is the root of the tree of Size entries.
func (a *Audit) Root() (Hash, error) {
	var out Hash
	if a.Size() == 0 {
		copy(out[:], rfc6962.DefaultHasher.EmptyRoot())
		return out, nil
	}
	r, err := a.rng.GetRootHash(nil)
	if err != nil {
		return out, err
	}
	copy(out[:], r)
	return out, nil
}

// Check proves that what the audit hashed is the log h signs: the same root
// at h's size, or a consistency proof (from fetch) from the audit's size to
// h's.
func (a *Audit) Check(h TreeHead, fetch ConsistencyFunc) error {
	root, err := a.Root()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	mine := TreeHead{Size: a.Size(), Root: root}
	switch {
	case mine.Size == h.Size:
		if root != h.Root {
			return fmt.Errorf("%w: entries do not hash to the tree head", ErrInconsistent)
		}
		return nil
	case mine.Size < h.Size:
		return check(fetch, mine, h)
	default:
		return fmt.Errorf("%w: audit at %d is past the head at %d", ErrInconsistent, mine.Size, h.Size)
	}
}

// MarshalBinary encodes the audit's state.
func (a *Audit) MarshalBinary() ([]byte, error) {
	hs := a.rng.Hashes()
	b := binary.BigEndian.AppendUint64(nil, a.rng.End())
	b = binary.BigEndian.AppendUint64(b, a.Version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(hs)))
	for _, h := range hs {
		b = append(b, h...)
	}
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary.
func (a *Audit) UnmarshalBinary(b []byte) error {
	if len(b) < 20 {
		return fmt.Errorf("%w: audit state", ErrMalformed)
	}
	size := binary.BigEndian.Uint64(b)
	version := binary.BigEndian.Uint64(b[8:])
	n := binary.BigEndian.Uint32(b[16:])
	b = b[20:]
	if n > 64 || len(b) != int(n)*HashSize {
		return fmt.Errorf("%w: audit state", ErrMalformed)
	}
	hs := make([]Hash, n)
	for i := range hs {
		copy(hs[i][:], b[i*HashSize:])
	}
	na, err := NewAudit(size, hs)
	if err != nil {
		return err
	}
	*a = Audit{rng: na.rng, Version: version}
	return nil
}
