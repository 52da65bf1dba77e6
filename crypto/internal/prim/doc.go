// Package prim wraps the primitives the protocol is built from — X25519,
// Ed25519, ML-KEM-1024, HKDF-SHA256, HMAC-SHA256, ChaCha20-Poly1305 and
// XChaCha20-Poly1305 — so that every protocol package calls them the same way
// and the Wycheproof and RFC vectors test exactly those calls.
//
// It owns the policy decisions that sit below the protocol: X25519 results
// that are all zero (low-order peer points) are errors, Ed25519 signatures
// are verified with the strict standard-library rules, and secret-derived
// buffers can be wiped. It must never log, never read a clock and never draw
// randomness it is not handed.
package prim
