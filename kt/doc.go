// Package kt is Sotto's key transparency: the log entry that binds a handle's
// VRF index to a commitment to its identity key and device list, signed tree
// heads and witness co-signatures, inclusion and consistency proofs, and the
// client-side checks (Verifier, Monitor, Audit) that catch a relay serving a
// key that is not in its log, a forked log or a rewritten history.
//
// The package is pure: it does no I/O. The relay builds proofs with
// package kt/tree; clients fetch them and check them here. Hashing is RFC
// 6962 (SHA-256, 0x00 leaf and 0x01 node prefixes) through
// github.com/transparency-dev/merkle; every object has a strict crypto/wire
// encoding whose decoder is fuzzed.
//
// What a relay can still do, and what it cannot, is written down in
// docs/TRANSPARENCY.md.
package kt
