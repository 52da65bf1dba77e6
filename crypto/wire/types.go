package wire

import "fmt"

// Version is the only encoding version this code reads and writes.
const Version byte = 1

// MaxMessageSize bounds every encoded object. The largest legitimate object
// is a sealed envelope around a ratchet message with a maximum-size padded
// plaintext.
const MaxMessageSize = 1 << 20

// Type identifies the kind of object that follows the version byte. The zero
// value is TypeUnknown and is never written.
type Type byte

// The object types. Values are part of the wire format and never reused.
const (
	TypeUnknown           Type = 0
	TypeDeviceCertificate Type = 1
	TypeSignedPrekey      Type = 2
	TypePrekeyBatch       Type = 3
	TypeBundle            Type = 4
	TypeSenderCertificate Type = 5
	TypePrekeyMessage     Type = 6
	TypeRatchetMessage    Type = 7
	TypeSealedEnvelope    Type = 8
	TypeSealedContent     Type = 9
	TypeSessionState      Type = 10
	TypeSafetyQR          Type = 11
	TypePrivateKey        Type = 12
	// TypeContent is the application's message content (package app/content),
	// carried as ratchet plaintext. crypto/ never decodes it.
	TypeContent Type = 13
	// Key transparency (package kt): a log entry, a signed tree head, a
	// witness co-signature, inclusion and consistency proofs, and the proof
	// bundle that comes with a handle lookup.
	TypeKTEntry       Type = 14
	TypeKTTreeHead    Type = 15
	TypeKTCosignature Type = 16
	TypeKTInclusion   Type = 17
	TypeKTConsistency Type = 18
	TypeKTLookup      Type = 19
)

var typeNames = [...]string{
	TypeUnknown:           "unknown",
	TypeDeviceCertificate: "device-certificate",
	TypeSignedPrekey:      "signed-prekey",
	TypePrekeyBatch:       "prekey-batch",
	TypeBundle:            "bundle",
	TypeSenderCertificate: "sender-certificate",
	TypePrekeyMessage:     "prekey-message",
	TypeRatchetMessage:    "ratchet-message",
	TypeSealedEnvelope:    "sealed-envelope",
	TypeSealedContent:     "sealed-content",
	TypeSessionState:      "session-state",
	TypeSafetyQR:          "safety-qr",
	TypePrivateKey:        "private-key",
	TypeContent:           "content",
	TypeKTEntry:           "kt-entry",
	TypeKTTreeHead:        "kt-tree-head",
	TypeKTCosignature:     "kt-cosignature",
	TypeKTInclusion:       "kt-inclusion",
	TypeKTConsistency:     "kt-consistency",
	TypeKTLookup:          "kt-lookup",
}

// String returns the type's name, or "type(N)" for values this code does not
// know.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", byte(t))
}

// Known reports whether t is a type this code can decode.
func (t Type) Known() bool {
	return t != TypeUnknown && int(t) < len(typeNames)
}

// Peek returns the type of an encoded object after checking its version, so
// a receiver can dispatch before decoding. It does not validate the body.
func Peek(b []byte) (Type, error) {
	if len(b) < 2 {
		return TypeUnknown, fmt.Errorf("header: %w", ErrTruncated)
	}
	if len(b) > MaxMessageSize {
		return TypeUnknown, fmt.Errorf("message of %d bytes: %w", len(b), ErrOversize)
	}
	if b[0] != Version {
		return TypeUnknown, fmt.Errorf("version %d: %w", b[0], ErrUnknownVersion)
	}
	t := Type(b[1])
	if !t.Known() {
		return TypeUnknown, fmt.Errorf("%v: %w", t, ErrWrongType)
	}
	return t, nil
}
