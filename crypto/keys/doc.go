// Package keys owns Sotto's long-term key types and the signed statements
// made with them: identity keys, device keys and device certificates,
// prekeys and prekey bundles, and the relay's signing key with the sender
// certificates it issues.
//
// Everything a relay needs to check lives here and needs no private key of a
// user: DeviceCertificate.Verify, SignedPrekey.Verify, Bundle.Verify and
// VerifySenderCertificate. The relay cannot decrypt anything with what this
// package gives it.
//
// Types keep keys apart: an identity key cannot be passed where a device key
// is wanted, private keys are not comparable with ==, Equal runs in constant
// time, and text encodings carry a prefix ("sotto-idpub:…") so a key pasted
// into the wrong field fails to parse. Private key String methods never print
// key material; Destroy zeroes what Go lets us zero.
//
// Every signature is made over a domain-separated message ("sotto-v1 " +
// label + 0x00 + fields), so a signature of one kind can never be replayed as
// another, and it binds the key type, ids, expiry and public key bytes.
//
// This package must never do I/O, read the clock (callers pass now), or draw
// randomness from anywhere but the io.Reader it is handed. Binary encodings
// use package wire.
package keys
