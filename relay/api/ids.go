package api

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// DeviceID names one device of an account. It is derived from the device's
// Ed25519 signing key, so a client knows it before registering and two
// devices cannot share one.
type DeviceID [16]byte

// ErrBadID is returned when a device or envelope id is not 32 hex characters.
var ErrBadID = errors.New("id must be 32 hex characters")

// DeviceIDFromKey returns SHA-256("sotto-device-id-v1" ‖ key)[:16].
func DeviceIDFromKey(key ed25519.PublicKey) DeviceID {
	d := sha256.New()
	d.Write([]byte("sotto-device-id-v1"))
	d.Write(key)
	var id DeviceID
	copy(id[:], d.Sum(nil))
	return id
}

func (d DeviceID) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is all zeros (never a valid id).
func (d DeviceID) IsZero() bool { return d == DeviceID{} }

// MarshalText implements encoding.TextMarshaler (hex).
func (d DeviceID) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (d *DeviceID) UnmarshalText(b []byte) error {
	p, err := ParseDeviceID(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// ParseDeviceID parses 32 hex characters.
func ParseDeviceID(s string) (DeviceID, error) {
	var d DeviceID
	if err := parseHex16(s, (*[16]byte)(&d)); err != nil {
		return DeviceID{}, err
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
