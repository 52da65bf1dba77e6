// Package sealed implements sealed sender: the envelope that hides who sent
// a message from the relay that carries it.
//
// An envelope is HPKE (RFC 9180, base mode) with the X-Wing KEM
// (ML-KEM-768 + X25519), HKDF-SHA256 and ChaCha20-Poly1305, encrypted to the
// recipient device's sealing key from its device certificate. Inside is the
// relay-signed sender certificate and the message itself — a PQXDH prekey
// message or a ratchet message. The relay sees the recipient it routes to,
// the size and the time; not the sender.
//
// Open checks the certificate's signature against the relay key the client
// pins, its expiry, and that an inner prekey message was made by the
// identity and device the certificate names. A ratchet message carries no
// identity in the clear: the caller must decrypt it with the session it
// holds for the certificate's sender and device, whose associated data binds
// both identity keys — any other session fails to decrypt.
//
// This package never does I/O, reads no clock (callers pass now) and keeps no
// state. The HPKE encapsulation randomness comes from Go's crypto/hpke, which
// draws it from the system CSPRNG and offers no way to supply a reader.
package sealed
