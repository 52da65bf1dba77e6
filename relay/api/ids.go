package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// Addr is the relay address of one device: SHA-256 of its Ed25519 signing
// key (the key its device certificate certifies), truncated. A client knows
// it before registering and two devices cannot share one. It is distinct
// from keys.DeviceID, the account-local device number inside certificates.
type Addr [16]byte

// ErrBadID is returned when an address or id is not 32 hex characters.
var ErrBadID = errors.New("id must be 32 hex characters")

// AddrFromKey returns SHA-256("sotto-device-id-v1" ‖ key)[:16] for a
// device's 32-byte Ed25519 signing key.
func AddrFromKey(key []byte) Addr {
	d := sha256.New()
	d.Write([]byte("sotto-device-id-v1"))
	d.Write(key)
	var id Addr
	copy(id[:], d.Sum(nil))
	return id
}

func (d Addr) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is all zeros (never a valid id).
func (d Addr) IsZero() bool { return d == Addr{} }

// MarshalText implements encoding.TextMarshaler (hex).
func (d Addr) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (d *Addr) UnmarshalText(b []byte) error {
	p, err := ParseAddr(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// ParseAddr parses 32 hex characters.
func ParseAddr(s string) (Addr, error) {
	var d Addr
	if err := parseHex16(s, (*[16]byte)(&d)); err != nil {
		return Addr{}, err
	}
	return d, nil
}

// EnvelopeID is the relay-assigned random id of one stored envelope.
type EnvelopeID [16]byte

// NewEnvelopeID returns a fresh random id.
func NewEnvelopeID() EnvelopeID {
	var e EnvelopeID
	_, _ = rand.Read(e[:])
	return e
}

func (e EnvelopeID) String() string { return hex.EncodeToString(e[:]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (e EnvelopeID) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (e *EnvelopeID) UnmarshalText(b []byte) error {
	return parseHex16(string(b), (*[16]byte)(e))
}

// BlobID names an uploaded attachment blob.
type BlobID [16]byte

func (b BlobID) String() string { return hex.EncodeToString(b[:]) }

// ParseBlobID parses 32 hex characters.
func ParseBlobID(s string) (BlobID, error) {
	var b BlobID
	if err := parseHex16(s, (*[16]byte)(&b)); err != nil {
		return BlobID{}, err
	}
	return b, nil
}

func parseHex16(s string, out *[16]byte) error {
	if len(s) != 32 {
		return ErrBadID
	}
	var tmp [16]byte
	if _, err := hex.Decode(tmp[:], []byte(s)); err != nil {
		return ErrBadID
	}
	*out = tmp
	return nil
}
