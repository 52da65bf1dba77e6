package wire

import "errors"

// Errors returned by Decoder. They are wrapped with the field being decoded;
// test with errors.Is.
var (
	// ErrUnknownVersion: the first byte is not a version this code speaks.
	ErrUnknownVersion = errors.New("wire: unknown version")
	// ErrWrongType: the type byte names a different kind of object.
	ErrWrongType = errors.New("wire: wrong message type")
	// ErrTruncated: the input ends inside a field.
	ErrTruncated = errors.New("wire: truncated")
	// ErrOversize: a length prefix exceeds the field's maximum, or the whole
	// input exceeds MaxMessageSize.
	ErrOversize = errors.New("wire: field too large")
	// ErrBadLength: a fixed-size field has the wrong length.
	ErrBadLength = errors.New("wire: wrong field length")
	// ErrTrailingBytes: bytes follow the last field.
	ErrTrailingBytes = errors.New("wire: trailing bytes")
	// ErrInvalidValue: a field decoded but holds a value outside its domain
	// (an unknown enum, a zero where zero is not allowed).
	ErrInvalidValue = errors.New("wire: invalid field value")
)
