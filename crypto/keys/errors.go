package keys

import "errors"

// Errors callers branch on. They are returned wrapped with context; test with
// errors.Is. Decoding failures additionally wrap the wire package's errors
// (wire.ErrTrailingBytes, wire.ErrOversize, wire.ErrUnknownVersion, …).
var (
	// ErrExpired: a certificate or prekey is past its expiry at the time
	// given to Verify.
	ErrExpired = errors.New("keys: expired")
	// ErrUnsigned: the object carries no signature (empty or all zero).
	ErrUnsigned = errors.New("keys: missing signature")
	// ErrBadSignature: the signature does not verify.
	ErrBadSignature = errors.New("keys: bad signature")
	// ErrWrongType: a prekey of the wrong type sits in a slot (for example a
	// one-time prekey where the signed prekey belongs).
	ErrWrongType = errors.New("keys: wrong key type")
	// ErrWrongSigner: the object names a different signer or device than the
	// one it is checked against.
	ErrWrongSigner = errors.New("keys: wrong signer")
	// ErrInvalidKey: key bytes do not parse as a key of the expected kind, or
	// a text encoding has the wrong prefix.
	ErrInvalidKey = errors.New("keys: invalid key")
	// ErrInvalidID: a device or prekey id is zero.
	ErrInvalidID = errors.New("keys: invalid id")
)
