package calls

import "errors"

// Errors callers branch on. Everything else is wrapped with what was being
// done; test with errors.Is.
var (
	// ErrUnknownCall: no call with that id (it never existed or has ended).
	ErrUnknownCall = errors.New("calls: unknown call")
	// ErrBusy: a call is already in progress.
	ErrBusy = errors.New("calls: already in a call")
	// ErrWrongState: the call is not in a state that allows the operation
	// (accepting an outgoing call, turning the camera on before connecting).
	ErrWrongState = errors.New("calls: not possible in this call state")
	// ErrClosed: the Manager has been closed.
	ErrClosed = errors.New("calls: manager closed")
	// ErrFingerprintMismatch: the peer's DTLS certificate does not match the
	// a=fingerprint in the SDP delivered through the end-to-end channel. The
	// media connection may be intercepted; the call is ended.
	ErrFingerprintMismatch = errors.New("DTLS certificate does not match the fingerprint the end-to-end channel delivered")
	// ErrNoNetworkPath: ICE found no working candidate pair.
	ErrNoNetworkPath = errors.New("no network path to the peer")
	// ErrConnectionLost: the connection dropped and did not recover.
	ErrConnectionLost = errors.New("connection lost and did not recover")
	// ErrBadSignal: a signaling blob is malformed (see the wrapped cause).
	ErrBadSignal = errors.New("calls: malformed call signal")
)
