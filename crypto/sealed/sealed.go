package sealed

import (
	"crypto/hpke"
	"errors"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/pqxdh"
	"github.com/sotto-im/sotto/crypto/ratchet"
	"github.com/sotto-im/sotto/crypto/wire"
)

// Info is the HPKE info string of sealed-sender envelopes.
const Info = "Sotto_SealedSender_v1"

// encSize is the X-Wing encapsulation size: ML-KEM-768 ciphertext ‖ X25519.
const encSize = 1088 + 32

// maxContent bounds the encrypted content of an envelope.
const maxContent = wire.MaxMessageSize - 2048

// Errors callers branch on. Certificate failures also wrap keys' errors
// (keys.ErrExpired, keys.ErrWrongSigner, keys.ErrBadSignature).
var (
	// ErrOpen: the envelope does not decrypt with this device's key.
	ErrOpen = errors.New("sealed: envelope cannot be opened")
	// ErrSenderMismatch: the inner message's identity or device differs from
	// the sender certificate's.
	ErrSenderMismatch = errors.New("sealed: inner message does not match sender certificate")
	// ErrInnerType: the content is neither a prekey nor a ratchet message.
	ErrInnerType = errors.New("sealed: unexpected inner message type")
)

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.ChaCha20Poly1305() }

// Seal wraps msg (a prekey or ratchet message) and the sender's certificate
// in an envelope only the holder of recipient's private key can open.
func Seal(recipient keys.SealingPublicKey, sender keys.SenderCertificate, msg []byte) ([]byte, error) {
	if err := checkInner(sender, msg); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	pk, err := recipient.HPKE()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	kdf, aead := suite()
	enc, s, err := hpke.NewSender(pk, kdf, aead, []byte(Info))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	ce := wire.NewEncoder(wire.TypeSealedContent, keys.MaxSenderCertificateSize+8+len(msg))
	ce.Bytes(sender.Marshal())
	ce.Bytes(msg)
	content := ce.Finish()
	if len(content) > maxContent {
		return nil, fmt.Errorf("seal: content of %d bytes: %w", len(content), wire.ErrOversize)
	}
	prefix := wire.AppendHeader(nil, wire.TypeSealedEnvelope)
	ct, err := s.Seal(prefix, content)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	e := wire.NewEncoder(wire.TypeSealedEnvelope, 8+len(enc)+len(ct))
	e.Bytes(enc)
	e.Bytes(ct)
	return e.Finish(), nil
}

// Opened is the content of an envelope whose certificate checked out.
type Opened struct {
	// Sender is the verified sender certificate.
	Sender keys.SenderCertificate
	// Type is wire.TypePrekeyMessage or wire.TypeRatchetMessage.
	Type wire.Type
	// Message is the inner message, to pass to pqxdh.Accept or to the
	// Decrypt of the session held for Sender.
	Message []byte
}

// ParseEnvelope checks an envelope's framing without opening it; a relay may
// use it to refuse malformed envelopes.
func ParseEnvelope(b []byte) error {
	_, _, err := parseEnvelope(b)
	return err
}

func parseEnvelope(b []byte) (enc, ct []byte, err error) {
	d := wire.NewDecoder(b, wire.TypeSealedEnvelope)
	enc = d.Fixed("encapsulated key", encSize)
	ct = d.Bytes("ciphertext", maxContent+16)
	if err := d.Finish(); err != nil {
		return nil, nil, fmt.Errorf("sealed envelope: %w", err)
	}
	return enc, ct, nil
}

// Open decrypts an envelope with the recipient device's key, verifies the
// sender certificate against relay at now, and checks the inner message
// against the certificate.
func Open(recipient *keys.DevicePrivateKey, relay keys.RelayPublicKey, envelope []byte, now time.Time) (*Opened, error) {
	enc, ct, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	kdf, aead := suite()
	r, err := hpke.NewRecipient(enc, recipient.Sealing(), kdf, aead, []byte(Info))
	if err != nil {
		return nil, ErrOpen
	}
	content, err := r.Open(envelope[:2], ct)
	if err != nil {
		return nil, ErrOpen
	}
	d := wire.NewDecoder(content, wire.TypeSealedContent)
	certBytes := d.Bytes("sender certificate", keys.MaxSenderCertificateSize)
	msg := d.Bytes("message", maxContent)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("sealed content: %w", err)
	}
	cert, err := keys.ParseSenderCertificate(certBytes)
	if err != nil {
		return nil, fmt.Errorf("sealed content: %w", err)
	}
	if err := keys.VerifySenderCertificate(cert, relay, now); err != nil {
		return nil, fmt.Errorf("sealed content: %w", err)
	}
	if err := checkInner(cert, msg); err != nil {
		return nil, fmt.Errorf("sealed content: %w", err)
	}
	typ, _ := wire.Peek(msg)
	return &Opened{Sender: cert, Type: typ, Message: msg}, nil
}

func checkInner(cert keys.SenderCertificate, msg []byte) error {
	typ, err := wire.Peek(msg)
	if err != nil {
		return err
	}
	switch typ {
	case wire.TypePrekeyMessage:
		m, err := pqxdh.ParsePrekeyMessage(msg)
		if err != nil {
			return err
		}
		if !m.Sender.Identity.Equal(cert.Sender) || m.Sender.Device != cert.Device {
			return ErrSenderMismatch
		}
		return nil
	case wire.TypeRatchetMessage:
		return ratchet.ParseMessage(msg)
	}
	return fmt.Errorf("%v: %w", typ, ErrInnerType)
}
