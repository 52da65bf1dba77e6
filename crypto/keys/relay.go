package keys

import (
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"io"
	"time"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/wire"
)

// RelayPublicKey is the relay's Ed25519 key that signs sender certificates.
// Clients pin it.
type RelayPublicKey struct {
	k [ed25519.PublicKeySize]byte
}

// ParseRelayPublicKey parses the 32-byte encoding.
func ParseRelayPublicKey(b []byte) (RelayPublicKey, error) {
	var k RelayPublicKey
	if err := parseEd25519Public(k.k[:], b); err != nil {
		return RelayPublicKey{}, fmt.Errorf("relay key: %w", err)
	}
	return k, nil
}

// ParseRelayPublicKeyText parses the "sotto-relaypub:" text form.
func ParseRelayPublicKeyText(s string) (RelayPublicKey, error) {
	b, err := parseText(s, prefixRelayPublic, ed25519.PublicKeySize)
	if err != nil {
		return RelayPublicKey{}, err
	}
	return ParseRelayPublicKey(b)
}

// Bytes returns the 32-byte encoding.
func (k RelayPublicKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// IsZero reports whether k is the zero value.
func (k RelayPublicKey) IsZero() bool { return k == RelayPublicKey{} }

// Equal compares in constant time.
func (k RelayPublicKey) Equal(o RelayPublicKey) bool {
	return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1
}

// String returns the "sotto-relaypub:" text form.
func (k RelayPublicKey) String() string { return string(appendText(nil, prefixRelayPublic, k.k[:])) }

// MarshalText implements encoding.TextMarshaler.
func (k RelayPublicKey) MarshalText() ([]byte, error) {
	return appendText(nil, prefixRelayPublic, k.k[:]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *RelayPublicKey) UnmarshalText(text []byte) error {
	p, err := ParseRelayPublicKeyText(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// Verify checks an application signature made with RelayPrivateKey.Sign.
func (k RelayPublicKey) Verify(context string, msg, sig []byte) bool {
	return prim.Ed25519Verify(k.k[:], applicationMessage(context, msg), sig)
}

// RelayPrivateKey is the relay's signing key. Not comparable with ==.
type RelayPrivateKey struct {
	_    [0]func()
	seed [ed25519.SeedSize]byte
	priv ed25519.PrivateKey
}

// GenerateRelayKey creates a relay signing key from 32 bytes of r.
func GenerateRelayKey(r io.Reader) (*RelayPrivateKey, error) {
	var seed [ed25519.SeedSize]byte
	if err := prim.Random(r, seed[:]); err != nil {
		return nil, fmt.Errorf("generate relay key: %w", err)
	}
	defer prim.Wipe(seed[:])
	return NewRelayPrivateKey(seed[:])
}

// NewRelayPrivateKey rebuilds a relay key from its 32-byte seed.
func NewRelayPrivateKey(seed []byte) (*RelayPrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("relay private key: %w", ErrInvalidKey)
	}
	k := &RelayPrivateKey{}
	copy(k.seed[:], seed)
	k.priv = ed25519.NewKeyFromSeed(k.seed[:])
	return k, nil
}

// ParseRelayPrivateKeyText parses the "sotto-relaypriv:" text form.
func ParseRelayPrivateKeyText(s string) (*RelayPrivateKey, error) {
	b, err := parseText(s, prefixRelayPrivate, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	defer prim.Wipe(b)
	return NewRelayPrivateKey(b)
}

func (k *RelayPrivateKey) mustLive() {
	if k == nil || k.priv == nil {
		panic("keys: use of nil or destroyed RelayPrivateKey")
	}
}

// Public returns the matching public key.
func (k *RelayPrivateKey) Public() RelayPublicKey {
	k.mustLive()
	var p RelayPublicKey
	copy(p.k[:], k.priv[ed25519.SeedSize:])
	return p
}

// Bytes returns a copy of the 32-byte seed.
func (k *RelayPrivateKey) Bytes() []byte { k.mustLive(); return append([]byte(nil), k.seed[:]...) }

// MarshalText returns the "sotto-relaypriv:" text form. It contains the secret.
func (k *RelayPrivateKey) MarshalText() ([]byte, error) {
	k.mustLive()
	return appendText(nil, prefixRelayPrivate, k.seed[:]), nil
}

// String never reveals the key (value receiver: see IdentityPrivateKey.String).
func (k RelayPrivateKey) String() string { return prefixRelayPrivate + redacted }

// GoString never reveals the key.
func (k RelayPrivateKey) GoString() string { return k.String() }

// Equal compares in constant time.
func (k *RelayPrivateKey) Equal(o *RelayPrivateKey) bool {
	if k == nil || o == nil {
		return k == o
	}
	return subtle.ConstantTimeCompare(k.seed[:], o.seed[:]) == 1
}

// Sign makes an application signature (for example over a signed tree head)
// that can never be mistaken for a sender certificate.
func (k *RelayPrivateKey) Sign(context string, msg []byte) []byte {
	k.mustLive()
	return ed25519.Sign(k.priv, applicationMessage(context, msg))
}

// Destroy zeroes the key. Any later use panics.
func (k *RelayPrivateKey) Destroy() {
	if k == nil {
		return
	}
	prim.Wipe(k.seed[:])
	prim.Wipe(k.priv)
	k.priv = nil
}

// SenderCertificate is the relay's short-lived statement that an identity's
// device is a registered sender. It travels inside sealed envelopes, where
// only the recipient sees it.
type SenderCertificate struct {
	Sender    IdentityPublicKey
	Device    DeviceID
	Expiry    time.Time // whole seconds, UTC
	Signer    RelayPublicKey
	Signature []byte
}

func (c *SenderCertificate) encodeBody(e *wire.Encoder) {
	e.Bytes(c.Sender.k[:])
	e.Uint32(uint32(c.Device))
	e.Int64(c.Expiry.Unix())
	e.Bytes(c.Signer.k[:])
}

func (c *SenderCertificate) signedFields() []byte {
	e := wire.NewEncoder(wire.TypeSenderCertificate, 96)
	c.encodeBody(e)
	return e.Finish()
}

// IssueSenderCertificate signs a sender certificate for sender's device,
// valid until expiry (truncated to whole seconds). Ed25519 signing is
// deterministic, so r is not read today; it is part of the signature so a
// randomized scheme can replace Ed25519 without changing callers.
func IssueSenderCertificate(relay *RelayPrivateKey, sender IdentityPublicKey, device DeviceID, expiry time.Time, r io.Reader) (SenderCertificate, error) {
	_ = r
	if sender.IsZero() {
		return SenderCertificate{}, fmt.Errorf("issue sender certificate: %w", ErrInvalidKey)
	}
	if device == 0 {
		return SenderCertificate{}, fmt.Errorf("issue sender certificate: %w", ErrInvalidID)
	}
	c := SenderCertificate{Sender: sender, Device: device, Expiry: normTime(expiry), Signer: relay.Public()}
	relay.mustLive()
	c.Signature = ed25519.Sign(relay.priv, signedMessage(labelSenderCertificate, c.signedFields()))
	return c, nil
}

// VerifySenderCertificate checks that cert was signed by relay and has not
// expired at now. Errors: ErrWrongSigner (cert names another relay key),
// ErrUnsigned, ErrBadSignature, ErrExpired, ErrInvalidKey, ErrInvalidID.
func VerifySenderCertificate(cert SenderCertificate, relay RelayPublicKey, now time.Time) error {
	if cert.Sender.IsZero() || relay.IsZero() {
		return fmt.Errorf("sender certificate: %w", ErrInvalidKey)
	}
	if cert.Device == 0 {
		return fmt.Errorf("sender certificate: %w", ErrInvalidID)
	}
	if !cert.Signer.Equal(relay) {
		return fmt.Errorf("sender certificate: %w", ErrWrongSigner)
	}
	if isUnsigned(cert.Signature) {
		return fmt.Errorf("sender certificate: %w", ErrUnsigned)
	}
	if !prim.Ed25519Verify(relay.k[:], signedMessage(labelSenderCertificate, cert.signedFields()), cert.Signature) {
		return fmt.Errorf("sender certificate: %w", ErrBadSignature)
	}
	if !now.Before(cert.Expiry) {
		return fmt.Errorf("sender certificate: %w", ErrExpired)
	}
	return nil
}

// Marshal returns the wire encoding.
func (c SenderCertificate) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeSenderCertificate, 180)
	c.encodeBody(e)
	e.Bytes(c.Signature)
	return e.Finish()
}

// MaxSenderCertificateSize bounds an encoded sender certificate.
const MaxSenderCertificateSize = 2 + 4 + 32 + 4 + 8 + 4 + 32 + 4 + 64

// ParseSenderCertificate decodes a sender certificate without verifying it.
func ParseSenderCertificate(b []byte) (SenderCertificate, error) {
	var c SenderCertificate
	d := wire.NewDecoder(b, wire.TypeSenderCertificate)
	sk := d.Fixed("sender", ed25519.PublicKeySize)
	c.Device = DeviceID(d.Uint32("device"))
	exp := d.Int64("expiry")
	rk := d.Fixed("signer", ed25519.PublicKeySize)
	sig := d.Fixed("signature", ed25519.SignatureSize)
	if err := d.Finish(); err != nil {
		return SenderCertificate{}, fmt.Errorf("sender certificate: %w", err)
	}
	var err error
	if c.Sender, err = ParseIdentityPublicKey(sk); err != nil {
		return SenderCertificate{}, fmt.Errorf("sender certificate: %w", err)
	}
	if c.Signer, err = ParseRelayPublicKey(rk); err != nil {
		return SenderCertificate{}, fmt.Errorf("sender certificate: %w", err)
	}
	if c.Device == 0 {
		return SenderCertificate{}, fmt.Errorf("sender certificate: %w", ErrInvalidID)
	}
	c.Expiry = time.Unix(exp, 0).UTC()
	c.Signature = append([]byte(nil), sig...)
	return c, nil
}
