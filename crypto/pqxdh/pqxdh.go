package pqxdh

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/ratchet"
	"github.com/sotto-im/sotto/crypto/wire"
)

// Info is the HKDF info string of the key agreement (DESIGN.md §4).
const Info = "Sotto_PQXDH_X25519_SHA-256_ML-KEM-1024_v1"

const adLabel = "Sotto_PQXDH_AD_v1"

// Local is one party's own device: its private keys and the certificate its
// identity key issued for them.
type Local struct {
	Device      *keys.DevicePrivateKey
	Certificate keys.DeviceCertificate
}

func (l Local) check(now time.Time) error {
	if l.Device == nil {
		return ErrLocalKeys
	}
	c := l.Certificate
	if c.Device != l.Device.ID() || !c.DHKey.Equal(l.Device.DHPublic()) || !c.SigningKey.Equal(l.Device.Public()) {
		return ErrLocalKeys
	}
	// The certificate's signature was checked when it was issued or
	// loaded; here only its validity period matters.
	if !now.Before(c.Expiry) {
		return fmt.Errorf("own device certificate: %w", keys.ErrExpired)
	}
	return nil
}

// PrekeyRef names one prekey of the responder's device.
type PrekeyRef struct {
	Type keys.PrekeyType
	ID   keys.PrekeyID
}

// secrets derives SK, HKa and NHKb from the key-agreement outputs.
func secrets(dh1, dh2, dh3, dh4, ss []byte) (sk, hka, nhkb [32]byte) {
	km := make([]byte, 0, 32*5+len(ss))
	for range 32 {
		km = append(km, 0xFF)
	}
	km = append(km, dh1...)
	km = append(km, dh2...)
	km = append(km, dh3...)
	km = append(km, dh4...) // empty without a one-time prekey
	km = append(km, ss...)
	out, err := prim.HKDF(km, make([]byte, 32), Info, 96)
	clear(km)
	if err != nil {
		panic("pqxdh: hkdf: " + err.Error())
	}
	copy(sk[:], out[:32])
	copy(hka[:], out[32:64])
	copy(nhkb[:], out[64:])
	clear(out)
	return sk, hka, nhkb
}

// associatedData binds both identity keys, device ids and device DH keys,
// and the ids of every prekey used.
func associatedData(initiator, responder *keys.DeviceCertificate, spk, opk keys.PrekeyID, pq PrekeyRef) []byte {
	ad := make([]byte, 0, len(adLabel)+2*(32+4+32)+4+4+1+4)
	ad = append(ad, adLabel...)
	for _, c := range []*keys.DeviceCertificate{initiator, responder} {
		ad = append(ad, c.Identity.Bytes()...)
		ad = be32(ad, uint32(c.Device))
		ad = append(ad, c.DHKey.Bytes()...)
	}
	ad = be32(ad, uint32(spk))
	ad = be32(ad, uint32(opk))
	ad = append(ad, byte(pq.Type))
	ad = be32(ad, uint32(pq.ID))
	return ad
}

func be32(b []byte, v uint32) []byte { return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v)) }

// Initiation is the initiator's record of a key agreement: it wraps ratchet
// messages into prekey messages until the responder has replied.
type Initiation struct {
	header []byte // encoded prekey-message fields before the ratchet message
}

// Initiate verifies the responder's bundle (it must be certified by peer and
// valid at now), runs the initiator side of PQXDH and returns the new
// session and the Initiation that wraps its first messages. The ephemeral
// key is drawn from r.
func Initiate(r io.Reader, local Local, peer keys.IdentityPublicKey, bundle keys.Bundle, now time.Time) (*ratchet.Session, *Initiation, error) {
	if err := local.check(now); err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	if err := bundle.Verify(now); err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	if !bundle.Identity().Equal(peer) {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", ErrIdentityMismatch)
	}
	spkPub, err := bundle.SignedPrekey.X25519()
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	spk, err := spkPub.ECDH()
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	devB, err := bundle.Device.DHKey.ECDH()
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	ek, err := prim.GenerateX25519(r)
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	dh1, err1 := prim.X25519(local.Device.DH(), spk)
	dh2, err2 := prim.X25519(ek, devB)
	dh3, err3 := prim.X25519(ek, spk)
	var dh4 []byte
	var err4 error
	var opkID keys.PrekeyID
	if bundle.OneTimePrekey != nil {
		opkID = bundle.OneTimePrekey.ID
		var opk *ecdh.PublicKey
		if p, err := bundle.OneTimePrekey.X25519(); err != nil {
			err4 = err
		} else if opk, err4 = p.ECDH(); err4 == nil {
			dh4, err4 = prim.X25519(ek, opk)
		}
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	pqKey := bundle.PQPrekey()
	ekPQ, err := pqKey.MLKEM()
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	ss, ct := prim.MLKEMEncapsulate(ekPQ)
	sk, hka, nhkb := secrets(dh1, dh2, dh3, dh4, ss)
	for _, b := range [][]byte{dh1, dh2, dh3, dh4, ss} {
		clear(b)
	}
	pq := PrekeyRef{pqKey.Type, pqKey.ID}
	ad := associatedData(&local.Certificate, &bundle.Device, bundle.SignedPrekey.ID, opkID, pq)
	sess, err := ratchet.NewInitiator(r, &sk, &hka, &nhkb, spk, ad)
	clear(sk[:])
	clear(hka[:])
	clear(nhkb[:])
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh initiate: %w", err)
	}
	m := PrekeyMessage{
		Sender: local.Certificate, Recipient: bundle.Device.Device,
		SignedPrekey: bundle.SignedPrekey.ID, OneTimePrekey: opkID, PQPrekey: pq,
		Ciphertext: ct,
	}
	copy(m.BaseKey[:], ek.PublicKey().Bytes())
	return sess, &Initiation{header: m.appendHeader(nil)}, nil
}

// Wrap returns the prekey message carrying ratchet message msg. The
// initiator wraps every message it sends until it first decrypts a reply;
// the responder recognises repeats by BaseKey.
func (in *Initiation) Wrap(msg []byte) []byte {
	out := make([]byte, 0, len(in.header)+4+len(msg))
	out = append(out, in.header...)
	return wire.AppendBytes(out, msg)
}

// MarshalBinary encodes the Initiation so it can be stored beside its
// session until the first reply. It contains no secrets.
func (in *Initiation) MarshalBinary() ([]byte, error) {
	return in.Wrap(nil), nil
}

// UnmarshalInitiation decodes MarshalBinary's output.
func UnmarshalInitiation(b []byte) (*Initiation, error) {
	m, err := ParsePrekeyMessage(b)
	if err != nil {
		return nil, err
	}
	if len(m.Message) != 0 {
		return nil, fmt.Errorf("initiation: %w", wire.ErrInvalidValue)
	}
	return &Initiation{header: b[:len(b)-4]}, nil
}
