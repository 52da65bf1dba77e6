// Package vrf implements the verifiable random function
// ECVRF-EDWARDS25519-SHA512-TAI of RFC 9381 (suite string 0x03): a keyed hash
// whose output anyone holding the public key can check, but only the holder
// of the private key can compute.
//
// Key transparency uses it to index its Merkle log by VRF(handle), so the log
// proves what a handle is bound to without listing who is registered: a
// client that is given a proof can check the index of the one handle it asked
// about, and learns nothing about any other.
//
// Prove returns a proof pi and the output beta; Verify checks pi against the
// public key and the input alpha and returns the same beta. Verify performs
// every check of RFC 9381 §5.3 including validate_key (§5.4.5): a public key
// of small order is rejected, as are non-canonical point encodings and a
// scalar s ≥ L. Any failure is ErrInvalidProof; bad input never panics.
//
// Operations on the private key (x·H, k·B, k·H, s = k + c·x) are constant
// time; verification works on public data only and uses variable-time
// multi-scalar multiplication.
//
// Like everything under crypto/, this package does no I/O, keeps no state and
// draws randomness only from the io.Reader handed to GenerateKey.
package vrf
