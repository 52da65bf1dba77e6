package calls

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// CallID names one call on both sides. It is 16 random bytes chosen by the
// caller; the zero value is never a valid id.
type CallID [16]byte

// NewCallID returns a fresh random id.
func NewCallID() CallID {
	var id CallID
	for id.IsZero() {
		if _, err := rand.Read(id[:]); err != nil {
			panic(fmt.Sprintf("calls: system randomness failed: %v", err))
		}
	}
	return id
}

// ParseCallID parses the 32-hex-digit form String returns.
func ParseCallID(s string) (CallID, error) {
	var id CallID
	if len(s) != 2*len(id) {
		return CallID{}, fmt.Errorf("call id %q: want %d hex digits", s, 2*len(id))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return CallID{}, fmt.Errorf("call id %q: %w", s, err)
	}
	if id.IsZero() {
		return CallID{}, fmt.Errorf("call id is zero")
	}
	return id, nil
}

// String is the id in lower-case hex.
func (id CallID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText encodes the id as String does.
func (id CallID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the form MarshalText writes.
func (id *CallID) UnmarshalText(b []byte) error {
	v, err := ParseCallID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// IsZero reports whether id is the zero value.
func (id CallID) IsZero() bool { return id == CallID{} }

// less orders ids bytewise; glare is resolved in favour of the lower id.
func (id CallID) less(o CallID) bool { return bytes.Compare(id[:], o[:]) < 0 }
