package ratchet

import "errors"

// Errors returned by Session. Decode errors additionally wrap package wire's
// typed errors.
var (
	// ErrUndecryptable: no header key this session holds opens the header,
	// or the body fails authentication. The message was corrupted, forged,
	// belongs to another session, or is from a chain whose keys are gone.
	ErrUndecryptable = errors.New("ratchet: message cannot be decrypted")
	// ErrReplay: the message was already decrypted, or its skipped key was
	// discarded (evicted or expired).
	ErrReplay = errors.New("ratchet: message already received or its key discarded")
	// ErrTooFarAhead: decrypting would skip more than MaxSkip message keys.
	ErrTooFarAhead = errors.New("ratchet: message too far ahead")
	// ErrCannotSend: the responder cannot send before it has received the
	// initiator's first message.
	ErrCannotSend = errors.New("ratchet: no sending chain yet")
	// ErrTooLarge: the plaintext exceeds MaxPlaintext.
	ErrTooLarge = errors.New("ratchet: plaintext too large")
	// ErrBadPadding: the decrypted body is not correctly padded.
	ErrBadPadding = errors.New("ratchet: bad padding")
	// ErrInvalidState: serialised state failed validation.
	ErrInvalidState = errors.New("ratchet: invalid session state")
)
