package keys

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/subtle"
	"fmt"
	"strconv"

	"github.com/sotto-im/sotto/crypto/internal/prim"
)

// DeviceID names one device of an account. Zero is not a valid id.
type DeviceID uint32

// String returns the decimal form.
func (d DeviceID) String() string { return strconv.FormatUint(uint64(d), 10) }

// ParseDeviceID parses the decimal form and rejects zero.
func ParseDeviceID(s string) (DeviceID, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("device id %q: %w", s, ErrInvalidID)
	}
	return DeviceID(v), nil
}

// DevicePublicKey is a device's Ed25519 signing key. The device signs its
// prekeys and authenticates to the relay with it.
type DevicePublicKey struct {
	k [ed25519.PublicKeySize]byte
}

// ParseDevicePublicKey parses the 32-byte encoding.
func ParseDevicePublicKey(b []byte) (DevicePublicKey, error) {
	var k DevicePublicKey
	if err := parseEd25519Public(k.k[:], b); err != nil {
		return DevicePublicKey{}, fmt.Errorf("device key: %w", err)
	}
	return k, nil
}

// ParseDevicePublicKeyText parses the "sotto-devpub:" text form.
func ParseDevicePublicKeyText(s string) (DevicePublicKey, error) {
	b, err := parseText(s, prefixDevicePublic, ed25519.PublicKeySize)
	if err != nil {
		return DevicePublicKey{}, err
	}
	return ParseDevicePublicKey(b)
}

// Bytes returns the 32-byte encoding.
func (k DevicePublicKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// IsZero reports whether k is the zero value.
func (k DevicePublicKey) IsZero() bool { return k == DevicePublicKey{} }

// Equal compares in constant time.
func (k DevicePublicKey) Equal(o DevicePublicKey) bool {
	return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1
}

// String returns the "sotto-devpub:" text form.
func (k DevicePublicKey) String() string { return string(appendText(nil, prefixDevicePublic, k.k[:])) }

// MarshalText implements encoding.TextMarshaler.
func (k DevicePublicKey) MarshalText() ([]byte, error) {
	return appendText(nil, prefixDevicePublic, k.k[:]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *DevicePublicKey) UnmarshalText(text []byte) error {
	p, err := ParseDevicePublicKeyText(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// Verify checks an application signature made with DevicePrivateKey.Sign
// under the same context (the relay uses this for its login challenge).
func (k DevicePublicKey) Verify(context string, msg, sig []byte) bool {
	return prim.Ed25519Verify(k.k[:], applicationMessage(context, msg), sig)
}

func (k DevicePublicKey) verifyStatement(label string, fields, sig []byte) error {
	if isUnsigned(sig) {
		return ErrUnsigned
	}
	if !prim.Ed25519Verify(k.k[:], signedMessage(label, fields), sig) {
		return ErrBadSignature
	}
	return nil
}

// X25519PublicKey is a Curve25519 Diffie-Hellman public key: a device's
// long-term DH key or an X25519 prekey.
type X25519PublicKey struct {
	k [prim.X25519Size]byte
}

// ParseX25519PublicKey parses the 32-byte encoding. All-zero is refused;
// other low-order points are caught when they are used (the exchange fails).
func ParseX25519PublicKey(b []byte) (X25519PublicKey, error) {
	var k X25519PublicKey
	if len(b) != prim.X25519Size {
		return k, fmt.Errorf("x25519 key: %w", ErrInvalidKey)
	}
	copy(k.k[:], b)
	if k.IsZero() {
		return X25519PublicKey{}, fmt.Errorf("x25519 key: %w", ErrInvalidKey)
	}
	return k, nil
}

// ParseX25519PublicKeyText parses the "sotto-x25519:" text form.
func ParseX25519PublicKeyText(s string) (X25519PublicKey, error) {
	b, err := parseText(s, prefixX25519Public, prim.X25519Size)
	if err != nil {
		return X25519PublicKey{}, err
	}
	return ParseX25519PublicKey(b)
}

// Bytes returns the 32-byte encoding.
func (k X25519PublicKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// IsZero reports whether k is the zero value.
func (k X25519PublicKey) IsZero() bool { return k == X25519PublicKey{} }

// Equal compares in constant time.
func (k X25519PublicKey) Equal(o X25519PublicKey) bool {
	return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1
}

// String returns the "sotto-x25519:" text form.
func (k X25519PublicKey) String() string { return string(appendText(nil, prefixX25519Public, k.k[:])) }

// MarshalText implements encoding.TextMarshaler.
func (k X25519PublicKey) MarshalText() ([]byte, error) {
	return appendText(nil, prefixX25519Public, k.k[:]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *X25519PublicKey) UnmarshalText(text []byte) error {
	p, err := ParseX25519PublicKeyText(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// ECDH returns the key as a crypto/ecdh public key.
func (k X25519PublicKey) ECDH() (*ecdh.PublicKey, error) {
	p, err := prim.NewX25519Public(k.k[:])
	if err != nil {
		return nil, fmt.Errorf("x25519 key: %w", ErrInvalidKey)
	}
	return p, nil
}

// SealingPublicKeySize is the size of an X-Wing (ML-KEM-768 + X25519) public
// key.
const SealingPublicKeySize = 1184 + 32

// SealingPublicKey is a device's X-Wing public key: sealed-sender envelopes
// are encrypted to it with HPKE.
type SealingPublicKey struct {
	b []byte // validated X-Wing encoding, never mutated
}

// ParseSealingPublicKey parses and validates an X-Wing public key.
func ParseSealingPublicKey(b []byte) (SealingPublicKey, error) {
	if len(b) != SealingPublicKeySize {
		return SealingPublicKey{}, fmt.Errorf("sealing key: %w", ErrInvalidKey)
	}
	if _, err := hpke.MLKEM768X25519().NewPublicKey(b); err != nil {
		return SealingPublicKey{}, fmt.Errorf("sealing key: %w", ErrInvalidKey)
	}
	return SealingPublicKey{b: append([]byte(nil), b...)}, nil
}

// ParseSealingPublicKeyText parses the "sotto-sealpub:" text form.
func ParseSealingPublicKeyText(s string) (SealingPublicKey, error) {
	b, err := parseText(s, prefixSealingPublic, SealingPublicKeySize)
	if err != nil {
		return SealingPublicKey{}, err
	}
	return ParseSealingPublicKey(b)
}

// Bytes returns the encoding.
func (k SealingPublicKey) Bytes() []byte { return append([]byte(nil), k.b...) }

// IsZero reports whether k is the zero value.
func (k SealingPublicKey) IsZero() bool { return len(k.b) == 0 }

// Equal compares in constant time.
func (k SealingPublicKey) Equal(o SealingPublicKey) bool {
	return subtle.ConstantTimeCompare(k.b, o.b) == 1
}

// String returns the "sotto-sealpub:" text form.
func (k SealingPublicKey) String() string { return string(appendText(nil, prefixSealingPublic, k.b)) }

// MarshalText implements encoding.TextMarshaler.
func (k SealingPublicKey) MarshalText() ([]byte, error) {
	return appendText(nil, prefixSealingPublic, k.b), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *SealingPublicKey) UnmarshalText(text []byte) error {
	p, err := ParseSealingPublicKeyText(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// HPKE returns the key for use with crypto/hpke.
func (k SealingPublicKey) HPKE() (hpke.PublicKey, error) {
	p, err := hpke.MLKEM768X25519().NewPublicKey(k.b)
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", ErrInvalidKey)
	}
	return p, nil
}
