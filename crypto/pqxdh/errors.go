package pqxdh

import "errors"

// Errors callers branch on (test with errors.Is). Verification failures also
// wrap the errors of package keys (keys.ErrExpired, keys.ErrBadSignature, …),
// and decoding failures those of package wire.
var (
	// ErrIdentityMismatch: the bundle or message is certified by another
	// identity key than the one expected.
	ErrIdentityMismatch = errors.New("pqxdh: identity key mismatch")
	// ErrWrongDevice: the message is addressed to another device.
	ErrWrongDevice = errors.New("pqxdh: message for another device")
	// ErrUnknownPrekey: the message names a prekey the responder does not
	// have (never issued, or a one-time prekey already consumed).
	ErrUnknownPrekey = errors.New("pqxdh: unknown or consumed prekey")
	// ErrLocalKeys: the local device key and certificate do not match.
	ErrLocalKeys = errors.New("pqxdh: device key does not match its certificate")
)
