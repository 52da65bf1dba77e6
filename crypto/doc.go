// Package crypto is the root of Sotto's end-to-end protocol: identities and
// device keys, prekey bundles, PQXDH session setup, the Double Ratchet with
// header encryption, sealed sender and safety numbers (docs/ARCHITECTURE.md,
// DESIGN.md §4). The protocol lives in its subpackages.
//
// Rules: everything under crypto/ is pure. It performs no I/O, keeps no global
// state, and reads no clock or randomness it is not handed (an io.Reader and a
// time.Time). It imports nothing else of Sotto's.
package crypto
