package pqxdh

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/ratchet"
)

// PrekeySource gives Accept the responder's private prekeys.
type PrekeySource interface {
	// Prekey returns the private prekey of that type and id, or an error
	// if there is none (never issued, or already consumed).
	Prekey(typ keys.PrekeyType, id keys.PrekeyID) (*keys.PrekeyPrivate, error)
}

// Accepted is the outcome of a successful Accept.
type Accepted struct {
	// Sender is the initiator's verified device certificate. The caller
	// must check Sender.Identity against the identity it expects (or, for
	// a first contact, show it to the user).
	Sender keys.DeviceCertificate
	// BaseKey identifies this key agreement; repeats of the same prekey
	// message carry the same BaseKey.
	BaseKey [32]byte
	// Plaintext of the first ratchet message.
	Plaintext []byte
	// Consumed lists the one-time prekeys used. The caller must delete them
	// in the same transaction that stores the new session.
	Consumed []PrekeyRef
}

// Accept runs the responder side of PQXDH on a prekey message, starts the
// session and decrypts the first ratchet message. Nothing is consumed unless
// that message authenticates; on error no state exists.
//
// The responder's own prekeys are used whatever their expiry: messages may
// arrive after a rotation. A prekey is retired by deleting it, after which
// PrekeySource reports it unknown.
func Accept(r io.Reader, local Local, prekeys PrekeySource, msg []byte, now time.Time) (*ratchet.Session, *Accepted, error) {
	if err := local.check(now); err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	m, err := ParsePrekeyMessage(msg)
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	if m.Recipient != local.Certificate.Device {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", ErrWrongDevice)
	}
	if err := m.Sender.Verify(now); err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: initiator: %w", err)
	}
	get := func(typ keys.PrekeyType, id keys.PrekeyID) (*keys.PrekeyPrivate, error) {
		p, err := prekeys.Prekey(typ, id)
		if err != nil || p == nil {
			return nil, fmt.Errorf("%v %v: %w", typ, id, ErrUnknownPrekey)
		}
		if p.Type() != typ || p.ID() != id {
			return nil, fmt.Errorf("%v %v: %w", typ, id, ErrUnknownPrekey)
		}
		return p, nil
	}
	spkPriv, err := get(keys.PrekeySignedX25519, m.SignedPrekey)
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	spk, err := spkPriv.X25519()
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	devA, err := m.Sender.DHKey.ECDH()
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	ek, err := prim.NewX25519Public(m.BaseKey[:])
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	dh1, err1 := prim.X25519(spk, devA)
	dh2, err2 := prim.X25519(local.Device.DH(), ek)
	dh3, err3 := prim.X25519(spk, ek)
	var dh4 []byte
	var err4 error
	var consumed []PrekeyRef
	if m.OneTimePrekey != 0 {
		p, err := get(keys.PrekeyOneTimeX25519, m.OneTimePrekey)
		if err != nil {
			return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
		}
		opk, err := p.X25519()
		if err != nil {
			return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
		}
		dh4, err4 = prim.X25519(opk, ek)
		consumed = append(consumed, PrekeyRef{keys.PrekeyOneTimeX25519, m.OneTimePrekey})
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	pqPriv, err := get(m.PQPrekey.Type, m.PQPrekey.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	dk, err := pqPriv.MLKEM()
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	ss, err := prim.MLKEMDecapsulate(dk, m.Ciphertext)
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	if m.PQPrekey.Type.IsOneTime() {
		consumed = append(consumed, m.PQPrekey)
	}
	sk, hka, nhkb := secrets(dh1, dh2, dh3, dh4, ss)
	for _, b := range [][]byte{dh1, dh2, dh3, dh4, ss} {
		clear(b)
	}
	ad := associatedData(&m.Sender, &local.Certificate, m.SignedPrekey, m.OneTimePrekey, m.PQPrekey)
	sess, err := ratchet.NewResponder(&sk, &hka, &nhkb, spk, ad)
	clear(sk[:])
	clear(hka[:])
	clear(nhkb[:])
	if err != nil {
		return nil, nil, fmt.Errorf("pqxdh accept: %w", err)
	}
	pt, err := sess.Decrypt(r, m.Message, now)
	if err != nil {
		sess.Destroy()
		return nil, nil, fmt.Errorf("pqxdh accept: first message: %w", err)
	}
	return sess, &Accepted{Sender: m.Sender, BaseKey: m.BaseKey, Plaintext: pt, Consumed: consumed}, nil
}
