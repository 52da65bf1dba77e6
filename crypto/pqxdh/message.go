package pqxdh

import (
	"fmt"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/wire"
)

// PrekeyMessage is the initiator's first message: what the responder needs
// to run its side of PQXDH, and the first ratchet message.
type PrekeyMessage struct {
	Sender        keys.DeviceCertificate // the initiator's device certificate
	Recipient     keys.DeviceID          // the responder's device
	SignedPrekey  keys.PrekeyID
	OneTimePrekey keys.PrekeyID // 0 when none was used
	PQPrekey      PrekeyRef     // one-time or last-resort ML-KEM-1024 prekey
	BaseKey       [32]byte      // the initiator's ephemeral X25519 key
	Ciphertext    []byte        // ML-KEM-1024 ciphertext
	Message       []byte        // ratchet message
}

const maxCertificate = 2048

// maxInner bounds the wrapped ratchet message.
const maxInner = wire.MaxMessageSize - 8192

func (m *PrekeyMessage) appendHeader(dst []byte) []byte {
	e := wire.NewEncoder(wire.TypePrekeyMessage, 3200)
	e.Bytes(m.Sender.Marshal())
	e.Uint32(uint32(m.Recipient))
	e.Uint32(uint32(m.SignedPrekey))
	e.Uint32(uint32(m.OneTimePrekey))
	e.Uint8(uint8(m.PQPrekey.Type))
	e.Uint32(uint32(m.PQPrekey.ID))
	e.Bytes(m.BaseKey[:])
	e.Bytes(m.Ciphertext)
	return append(dst, e.Finish()...)
}

// Marshal returns the wire encoding.
func (m *PrekeyMessage) Marshal() []byte {
	return wire.AppendBytes(m.appendHeader(nil), m.Message)
}

// ParsePrekeyMessage decodes a prekey message. It checks formats, not the
// sender's certificate: Accept does that.
func ParsePrekeyMessage(b []byte) (*PrekeyMessage, error) {
	m := &PrekeyMessage{}
	d := wire.NewDecoder(b, wire.TypePrekeyMessage)
	cert := d.Bytes("sender certificate", maxCertificate)
	m.Recipient = keys.DeviceID(d.Uint32("recipient"))
	m.SignedPrekey = keys.PrekeyID(d.Uint32("signed prekey"))
	m.OneTimePrekey = keys.PrekeyID(d.Uint32("one-time prekey"))
	m.PQPrekey.Type = keys.PrekeyType(d.Uint8("pq prekey type"))
	m.PQPrekey.ID = keys.PrekeyID(d.Uint32("pq prekey"))
	copy(m.BaseKey[:], d.Fixed("base key", 32))
	ct := d.Fixed("ciphertext", prim.MLKEMCiphertext)
	msg := d.Bytes("message", maxInner)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("prekey message: %w", err)
	}
	if !m.PQPrekey.Type.IsMLKEM() {
		return nil, fmt.Errorf("prekey message: pq prekey %v: %w", m.PQPrekey.Type, keys.ErrWrongType)
	}
	if m.Recipient == 0 || m.SignedPrekey == 0 || m.PQPrekey.ID == 0 {
		return nil, fmt.Errorf("prekey message: %w", keys.ErrInvalidID)
	}
	var err error
	if m.Sender, err = keys.ParseDeviceCertificate(cert); err != nil {
		return nil, fmt.Errorf("prekey message: %w", err)
	}
	if _, err := keys.ParseX25519PublicKey(m.BaseKey[:]); err != nil {
		return nil, fmt.Errorf("prekey message: base key: %w", err)
	}
	m.Ciphertext = append([]byte(nil), ct...)
	m.Message = append([]byte(nil), msg...)
	return m, nil
}
