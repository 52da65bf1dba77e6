// Package ratchet implements the Double Ratchet with header encryption
// (signal.org/docs/specifications/doubleratchet, §4) as Sotto uses it:
//
//   - KDF_RK: HKDF-SHA256, salt = root key, input = DH output, 96 bytes out
//     (root key ‖ chain key ‖ next header key).
//   - KDF_CK: message key = HMAC-SHA256(ck, 0x01), next ck = HMAC-SHA256(ck, 0x02).
//   - Message AEAD: ChaCha20-Poly1305 with key and nonce expanded from the
//     single-use message key (HKDF-Expand); AD = session AD ‖ wire prefix ‖
//     encrypted header.
//   - Header AEAD: XChaCha20-Poly1305 with a random 24-byte nonce.
//   - Plaintexts are padded to size buckets (Pad/Unpad) before encryption.
//   - Every message starts with the wire version byte.
//
// Bounds: at most MaxSkippedKeys message keys are stored per session (the
// oldest are dropped first), no message may skip more than MaxSkip keys in
// one chain, and stored keys expire after SkippedKeyLifetime.
//
// Session is a state machine with two transitions, Encrypt and Decrypt. A
// Decrypt that fails for any reason leaves the session exactly as it was.
// Sessions serialise with MarshalBinary and load with Unmarshal, which
// validates every field.
//
// This package owns the ratchet and nothing else: it never does I/O, reads
// no clock (Decrypt takes now), draws randomness only from the io.Reader it
// is handed, and never logs or formats key material into errors.
package ratchet
