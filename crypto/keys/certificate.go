package keys

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/wire"
)

// DeviceCertificate is the identity key's statement that a device belongs to
// the account: device id, the device's Ed25519, X25519 and X-Wing public keys,
// and an expiry. Verify checks it against the identity key it names; callers
// must also check that Identity is the key they expect for the account (from
// key transparency or a pinned contact).
type DeviceCertificate struct {
	Identity   IdentityPublicKey
	Device     DeviceID
	SigningKey DevicePublicKey
	DHKey      X25519PublicKey
	SealingKey SealingPublicKey
	Expiry     time.Time // whole seconds, UTC
	Signature  []byte
}

// IssueDeviceCertificate signs a certificate for device, valid until expiry
// (truncated to whole seconds).
func IssueDeviceCertificate(identity *IdentityPrivateKey, device *DevicePrivateKey, expiry time.Time) DeviceCertificate {
	c := DeviceCertificate{
		Identity:   identity.Public(),
		Device:     device.ID(),
		SigningKey: device.Public(),
		DHKey:      device.DHPublic(),
		SealingKey: device.SealingPublic(),
		Expiry:     normTime(expiry),
	}
	c.Signature = identity.signStatement(labelDeviceCertificate, c.signedFields())
	return c
}

func (c *DeviceCertificate) signedFields() []byte {
	e := wire.NewEncoder(wire.TypeDeviceCertificate, 1400)
	c.encodeBody(e)
	return e.Finish()
}

func (c *DeviceCertificate) encodeBody(e *wire.Encoder) {
	e.Bytes(c.Identity.k[:])
	e.Uint32(uint32(c.Device))
	e.Bytes(c.SigningKey.k[:])
	e.Bytes(c.DHKey.k[:])
	e.Bytes(c.SealingKey.b)
	e.Int64(c.Expiry.Unix())
}

// Verify checks the certificate's signature by the identity key it names and
// that it has not expired at now. It returns ErrUnsigned, ErrBadSignature,
// ErrExpired, ErrInvalidID or ErrInvalidKey (wrapped).
func (c DeviceCertificate) Verify(now time.Time) error {
	if c.Identity.IsZero() || c.SigningKey.IsZero() || c.DHKey.IsZero() || c.SealingKey.IsZero() {
		return fmt.Errorf("device certificate: %w", ErrInvalidKey)
	}
	if c.Device == 0 {
		return fmt.Errorf("device certificate: %w", ErrInvalidID)
	}
	if err := c.Identity.verifyStatement(labelDeviceCertificate, c.signedFields(), c.Signature); err != nil {
		return fmt.Errorf("device certificate %v: %w", c.Device, err)
	}
	if !now.Before(c.Expiry) {
		return fmt.Errorf("device certificate %v: %w", c.Device, ErrExpired)
	}
	return nil
}

// Marshal returns the wire encoding.
func (c DeviceCertificate) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeDeviceCertificate, 1400)
	c.encodeBody(e)
	e.Bytes(c.Signature)
	return e.Finish()
}

// ParseDeviceCertificate decodes a certificate. It checks the encoding and
// the key formats, not the signature: call Verify.
func ParseDeviceCertificate(b []byte) (DeviceCertificate, error) {
	d := wire.NewDecoder(b, wire.TypeDeviceCertificate)
	c, err := decodeDeviceCertificate(d)
	if err == nil {
		err = d.Finish()
	}
	if err != nil {
		return DeviceCertificate{}, fmt.Errorf("device certificate: %w", err)
	}
	return c, nil
}

func decodeDeviceCertificate(d *wire.Decoder) (DeviceCertificate, error) {
	var c DeviceCertificate
	idk := d.Fixed("identity", ed25519.PublicKeySize)
	c.Device = DeviceID(d.Uint32("device"))
	sk := d.Fixed("signing key", ed25519.PublicKeySize)
	dk := d.Fixed("dh key", 32)
	xk := d.Fixed("sealing key", SealingPublicKeySize)
	exp := d.Int64("expiry")
	sig := d.Fixed("signature", ed25519.SignatureSize)
	if err := d.Err(); err != nil {
		return c, err
	}
	var err error
	if c.Identity, err = ParseIdentityPublicKey(idk); err != nil {
		return c, err
	}
	if c.SigningKey, err = ParseDevicePublicKey(sk); err != nil {
		return c, err
	}
	if c.DHKey, err = ParseX25519PublicKey(dk); err != nil {
		return c, err
	}
	if c.SealingKey, err = ParseSealingPublicKey(xk); err != nil {
		return c, err
	}
	if c.Device == 0 {
		return c, ErrInvalidID
	}
	c.Expiry = time.Unix(exp, 0).UTC()
	c.Signature = append([]byte(nil), sig...)
	return c, nil
}

func normTime(t time.Time) time.Time { return time.Unix(t.Unix(), 0).UTC() }
