// Package crypto is the root of Sotto's end-to-end protocol: identities and
// device keys, prekey bundles, PQXDH session setup, the Double Ratchet with
// header encryption, sealed sender and safety numbers (docs/PROTOCOL.md,
// DESIGN.md §4). The protocol lives in its subpackages:
//
//   - wire: the one versioned, length-prefixed encoding and its typed errors
//   - keys: identity, device, prekey and relay keys; device and sender
//     certificates; bundles — everything a relay verifies
//   - pqxdh: session setup and the prekey message
//   - ratchet: the Double Ratchet with header encryption
//   - sealed: sealed-sender envelopes (HPKE with X-Wing)
//   - safety: safety numbers and their QR payload
//   - vrf: ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381), which hides handles in
//     the key-transparency log
//
// Rules: everything under crypto/ is pure. It performs no I/O, keeps no global
// state, and reads no clock or randomness it is not handed (an io.Reader and a
// time.Time) — except the encapsulation randomness of ML-KEM and HPKE, which
// Go's standard library draws itself. It imports nothing else of Sotto's.
package crypto
