package kt

import "fmt"

// ConsistencyFunc fetches a consistency proof between two tree sizes (from
// the relay).
type ConsistencyFunc func(size1, size2 uint64) (ConsistencyProof, error)

// Monitor is a client's memory of one log: the largest signed tree head it
// has accepted. Every head it sees afterwards — in a lookup, from the relay,
// from a contact — must be consistent with it: the same root at the same
// size, and a valid consistency proof between different sizes. It is not
// safe for concurrent use; the zero value has seen nothing.
type Monitor struct {
	Largest SignedTreeHead
	seen    bool
}

// Seen reports whether the monitor has accepted any head.
func (m *Monitor) Seen() bool { return m.seen }

// Observe checks h (signature via v) against the largest head and keeps h
// if it is larger. fetch is called only when the sizes differ. It returns
// ErrFork for two different roots at one size and ErrInconsistent when the
// relay cannot prove that the smaller head is a prefix of the larger: both
// mean the relay showed someone a different log.
func (m *Monitor) Observe(v *Verifier, h SignedTreeHead, fetch ConsistencyFunc) error {
	if err := v.VerifyHead(h); err != nil {
		return err
	}
	if !m.seen {
		m.Largest, m.seen = h, true
		return nil
	}
	l := m.Largest
	switch {
	case h.Size == l.Size:
		if h.Root != l.Root {
			return ErrFork
		}
		if len(h.Cosignatures) > len(l.Cosignatures) {
			m.Largest = h
		}
		return nil
	case h.Size > l.Size:
		if err := check(fetch, l.TreeHead, h.TreeHead); err != nil {
			return err
		}
		m.Largest = h
		return nil
	default:
		return check(fetch, h.TreeHead, l.TreeHead)
	}
}

func check(fetch ConsistencyFunc, old, new TreeHead) error {
	p, err := fetch(old.Size, new.Size)
	if err != nil {
		// Not a verdict: the relay may be unreachable. A relay that never
		// answers leaves the client unable to check, which it reports.
		return fmt.Errorf("fetch consistency proof %d→%d: %w", old.Size, new.Size, err)
	}
	return p.Verify(old, new)
}

// MarshalBinary encodes the monitor's state (for the account's encrypted
// settings).
func (m *Monitor) MarshalBinary() ([]byte, error) {
	if !m.seen {
		return []byte{0}, nil
	}
	return append([]byte{1}, m.Largest.Marshal()...), nil
}

// UnmarshalBinary restores a state written by MarshalBinary.
func (m *Monitor) UnmarshalBinary(b []byte) error {
	switch {
	case len(b) == 1 && b[0] == 0:
		*m = Monitor{}
		return nil
	case len(b) > 1 && b[0] == 1:
		h, err := ParseSignedTreeHead(b[1:])
		if err != nil {
			return err
		}
		*m = Monitor{Largest: h, seen: true}
		return nil
	}
	return fmt.Errorf("%w: monitor state", ErrMalformed)
}
