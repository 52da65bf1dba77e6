// Package content is what people and their apps say to each other inside the
// end-to-end channel: text, receipts, typing, reactions, edits, deletions and
// the sender's delivery token. It is the plaintext the ratchet encrypts,
// encoded with crypto/wire under wire.TypeContent.
//
// Rules: pure encoding and validation; no I/O, no clock, no keys. Decode is
// strict (unknown kinds, oversize fields, trailing bytes are errors) because
// its input comes from the network.
package content
