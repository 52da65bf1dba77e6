// Package pqxdh sets up sessions with PQXDH
// (signal.org/docs/specifications/pqxdh) as DESIGN.md §4 pins it:
//
//	SK ‖ HKa ‖ NHKb = HKDF-SHA256(salt = 0x00*32,
//	    ikm = 0xFF*32 ‖ DH1 ‖ DH2 ‖ DH3 ‖ [DH4] ‖ SS,
//	    info = "Sotto_PQXDH_X25519_SHA-256_ML-KEM-1024_v1")
//
// with DH1 = DH(device_A, SPK_B), DH2 = DH(EK_A, device_B),
// DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B) when the relay handed out a
// one-time X25519 prekey, and SS the ML-KEM-1024 shared secret encapsulated
// to the one-time ML-KEM prekey (or the last-resort one). The X25519 keys
// that stand for each party are the device keys certified by the identity
// keys; the associated data binds both identity keys, both device ids and
// device keys, and every prekey id used. The outputs start a Double Ratchet
// (package ratchet): SK is its root key, HKa and NHKb its shared header keys,
// and SPK_B the responder's first ratchet key.
//
// The initiator's first ratchet message travels inside a PrekeyMessage that
// carries what the responder needs: the initiator's device certificate, the
// ephemeral key, the ML-KEM ciphertext and the ids of the prekeys used.
// Accept hands back the one-time prekeys it used so the caller deletes them:
// a one-time prekey serves one session only.
//
// This package never does I/O, reads no clock (callers pass now), and draws
// randomness only from the io.Reader it is handed — except the ML-KEM
// encapsulation randomness, which Go's crypto/mlkem takes from the system
// CSPRNG with no way to supply it (tests pin it with
// testing/cryptotest.SetGlobalRandom).
package pqxdh
