package store

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"
)

// Row identifiers. They are assigned by the store and never reused.
type (
	ContactID      int64
	ConversationID int64
	MessageID      int64
	AttachmentID   int64
	CallID         int64
)

// Direction of a message or call.
type Direction uint8

const (
	DirectionUnknown Direction = iota
	Incoming
	Outgoing
)

func (d Direction) String() string {
	switch d {
	case Incoming:
		return "incoming"
	case Outgoing:
		return "outgoing"
	}
	return "unknown"
}

// Status of a message.
type Status uint8

const (
	StatusUnknown Status = iota
	StatusPending
	StatusSent
	StatusDelivered
	StatusRead
	StatusFailed
)

func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusSent:
		return "sent"
	case StatusDelivered:
		return "delivered"
	case StatusRead:
		return "read"
	case StatusFailed:
		return "failed"
	}
	return "unknown"
}

// Verification is how far a contact's identity key is trusted.
type Verification uint8

const (
	VerificationUnknown Verification = iota
	// Unverified: the key was seen but not compared.
	Unverified
	// Verified: the user compared safety numbers for this key.
	Verified
	// KeyChanged: the contact was verified, then presented another key;
	// sending is blocked until the user verifies again.
	KeyChanged
)

func (v Verification) String() string {
	switch v {
	case Unverified:
		return "unverified"
	case Verified:
		return "verified"
	case KeyChanged:
		return "key-changed"
	}
	return "unknown"
}

// CallOutcome is how a call ended.
type CallOutcome uint8

const (
	CallOutcomeUnknown CallOutcome = iota
	CallAnswered
	CallMissed
	CallDeclined
	CallBusy
	CallUnreachable
	CallFailed
)

func (o CallOutcome) String() string {
	switch o {
	case CallAnswered:
		return "answered"
	case CallMissed:
		return "missed"
	case CallDeclined:
		return "declined"
	case CallBusy:
		return "busy"
	case CallUnreachable:
		return "unreachable"
	case CallFailed:
		return "failed"
	}
	return "unknown"
}

// PrekeyKind tells the prekey families apart.
type PrekeyKind uint8

const (
	PrekeyKindUnknown PrekeyKind = iota
	SignedPrekey
	OneTimePrekey
	LastResortKEMPrekey
	OneTimeKEMPrekey
)

func (k PrekeyKind) String() string {
	switch k {
	case SignedPrekey:
		return "signed"
	case OneTimePrekey:
		return "one-time"
	case LastResortKEMPrekey:
		return "last-resort-kem"
	case OneTimeKEMPrekey:
		return "one-time-kem"
	}
	return "unknown"
}

func randRead(b []byte) (int, error) {
	n, err := rand.Read(b)
	if err != nil {
		return n, fmt.Errorf("store: random: %w", err)
	}
	return n, nil
}

// Timestamps are stored as Unix milliseconds; the zero time is NULL.
func toMS(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(ms int64) time.Time { return time.UnixMilli(ms) }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}
