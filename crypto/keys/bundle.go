package keys

import (
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/wire"
)

// Bundle is what an initiator fetches from the relay to start a session with
// one device: the device certificate, the signed X25519 prekey, the signed
// ML-KEM-1024 last-resort prekey, and — when the relay still has them — one
// one-time X25519 prekey and one one-time ML-KEM-1024 prekey.
type Bundle struct {
	Device        DeviceCertificate
	SignedPrekey  SignedPrekey
	LastResortPQ  SignedPrekey
	OneTimePrekey *SignedPrekey // optional
	OneTimePQ     *SignedPrekey // optional
}

// Identity returns the identity key the bundle's certificate names. Callers
// must compare it with the identity they expect for the account.
func (b Bundle) Identity() IdentityPublicKey { return b.Device.Identity }

// PQPrekey returns the ML-KEM prekey an initiator should use: the one-time
// one if present, otherwise the last-resort one.
func (b Bundle) PQPrekey() SignedPrekey {
	if b.OneTimePQ != nil {
		return *b.OneTimePQ
	}
	return b.LastResortPQ
}

// Verify checks the device certificate and every prekey: each must sit in the
// slot its type belongs to, be signed by the certified device key for that
// device, and be unexpired at now.
func (b Bundle) Verify(now time.Time) error {
	if err := b.Device.Verify(now); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	check := func(slot string, p *SignedPrekey, want PrekeyType) error {
		if p.Type != want {
			return fmt.Errorf("bundle %s: have %v, want %v: %w", slot, p.Type, want, ErrWrongType)
		}
		if err := p.Verify(b.Device, now); err != nil {
			return fmt.Errorf("bundle %s: %w", slot, err)
		}
		return nil
	}
	if err := check("signed prekey", &b.SignedPrekey, PrekeySignedX25519); err != nil {
		return err
	}
	if err := check("last-resort pq prekey", &b.LastResortPQ, PrekeyLastResortMLKEM); err != nil {
		return err
	}
	if b.OneTimePrekey != nil {
		if err := check("one-time prekey", b.OneTimePrekey, PrekeyOneTimeX25519); err != nil {
			return err
		}
	}
	if b.OneTimePQ != nil {
		if err := check("one-time pq prekey", b.OneTimePQ, PrekeyOneTimeMLKEM); err != nil {
			return err
		}
	}
	return nil
}

// Marshal returns the wire encoding. Missing optional prekeys are encoded as
// empty fields.
func (b Bundle) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeBundle, 6000)
	e.Bytes(b.Device.Marshal())
	e.Bytes(b.SignedPrekey.Marshal())
	e.Bytes(b.LastResortPQ.Marshal())
	for _, p := range []*SignedPrekey{b.OneTimePrekey, b.OneTimePQ} {
		if p == nil {
			e.Bytes(nil)
		} else {
			e.Bytes(p.Marshal())
		}
	}
	return e.Finish()
}

const maxDeviceCertificateSize = 2048

// ParseBundle decodes a bundle and checks the formats of everything in it,
// not the signatures: call Verify.
func ParseBundle(raw []byte) (Bundle, error) {
	var b Bundle
	d := wire.NewDecoder(raw, wire.TypeBundle)
	cert := d.Bytes("device certificate", maxDeviceCertificateSize)
	spk := d.Bytes("signed prekey", maxSignedPrekeySize)
	lr := d.Bytes("last-resort pq prekey", maxSignedPrekeySize)
	otp := d.Bytes("one-time prekey", maxSignedPrekeySize)
	opq := d.Bytes("one-time pq prekey", maxSignedPrekeySize)
	if err := d.Finish(); err != nil {
		return b, fmt.Errorf("bundle: %w", err)
	}
	var err error
	if b.Device, err = ParseDeviceCertificate(cert); err != nil {
		return Bundle{}, fmt.Errorf("bundle: %w", err)
	}
	if b.SignedPrekey, err = ParseSignedPrekey(spk); err != nil {
		return Bundle{}, fmt.Errorf("bundle: %w", err)
	}
	if b.LastResortPQ, err = ParseSignedPrekey(lr); err != nil {
		return Bundle{}, fmt.Errorf("bundle: %w", err)
	}
	if len(otp) > 0 {
		p, err := ParseSignedPrekey(otp)
		if err != nil {
			return Bundle{}, fmt.Errorf("bundle: %w", err)
		}
		b.OneTimePrekey = &p
	}
	if len(opq) > 0 {
		p, err := ParseSignedPrekey(opq)
		if err != nil {
			return Bundle{}, fmt.Errorf("bundle: %w", err)
		}
		b.OneTimePQ = &p
	}
	return b, nil
}
