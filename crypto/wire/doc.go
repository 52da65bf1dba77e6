// Package wire is Sotto's single binary encoding for everything the protocol
// puts on the wire: device certificates, prekeys and bundles, sender
// certificates, PQXDH initial messages, ratchet messages and sealed envelopes.
//
// Every encoded object starts with a version byte and a type byte, followed by
// fields in a fixed order. Integers are big-endian and fixed width; byte
// strings carry a 4-byte big-endian length prefix and are checked against a
// per-field maximum (or an exact size) before anything is allocated. A decoder
// refuses unknown versions, the wrong type, truncated input, oversize fields
// and trailing bytes, each with a typed error from errors.go.
//
// This package owns framing only. It never interprets key material, never
// allocates more than the input it is handed, never panics on input, and does
// no I/O.
package wire
