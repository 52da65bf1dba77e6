// Package api is the relay's wire contract, shared by the server (relay/)
// and its client (relay/client): versioned paths, JSON request and response
// bodies, typed errors with stable codes, the binary WebSocket frames and
// the size limits of every field.
//
// Rules: no I/O, no state; decoders never panic on untrusted input and are
// fuzzed. It imports only the standard library and handle/; never app/,
// store/ or calls/.
package api
