// Package attachment encrypts files for transfer (DESIGN.md §4,
// "Attachments"): a random key per file, the plaintext cut into 64 KiB
// chunks, each sealed with ChaCha20-Poly1305 under a key derived from the file
// key, with the chunk's index and a last-chunk flag bound in, so chunks cannot
// be reordered, dropped, repeated or the file truncated or extended without
// the reader noticing. The key and the SHA-256 of the ciphertext travel inside
// the end-to-end message; the relay only ever holds ciphertext.
//
// Rules: streams only (io.Reader / io.Writer handed in); no files, no
// network, no clock; randomness only from the reader handed to GenerateKey.
// Imports nothing of Sotto's outside crypto/.
package attachment
