// Package client talks to a Sotto relay: registration (with the proof of
// work), device authentication, lookups, prekeys, sending (HTTP or
// pipelined over a WebSocket) and receiving with acks, reconnecting with
// jittered backoff and resuming from the last acked sequence.
//
// Rules: it never sees plaintext either — envelopes are opaque bytes the
// caller sealed with crypto/. It imports relay/api, handle/ and crypto's
// public key types only; never app/, store/, calls/ or the relay server.
package client
