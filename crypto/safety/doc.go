// Package safety computes safety numbers: what two people compare (by
// reading digits or scanning a QR code) to confirm that each holds the
// other's real identity key.
//
// The construction is Signal's numeric fingerprint: for each party,
// h = SHA-512(version ‖ identity key ‖ stable identifier), then 5200 times
// h = SHA-512(h ‖ identity key); the first 30 bytes give six 5-byte chunks,
// each shown as a 5-digit number (big-endian value mod 100000). The two
// 30-digit halves are ordered so both parties see the same 60 digits. The
// identity key is Sotto's 32-byte Ed25519 key; the stable identifier is the
// normalised handle the caller passes (package handle owns normalisation).
//
// The QR payload carries both 32-byte fingerprints from the scanner's
// counterpart's point of view; CompareQR checks them crosswise.
//
// This package never does I/O and keeps no state.
package safety
