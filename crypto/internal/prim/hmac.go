package prim

import (
	"crypto/hmac"
	"crypto/sha256"
)

// hmacInline bounds the message HMACTo hashes on the stack; longer messages
// (and keys over one block) take the crypto/hmac path.
const hmacInline = 128

// HMACTo computes HMAC-SHA256(key, parts...) into out. The ratchet's KDFs
// hash short inputs under 32-byte keys many times per message; for those
// this runs on stack buffers without allocating. Other inputs fall back to
// crypto/hmac. Both paths are checked against the Wycheproof vectors.
func HMACTo(out *[32]byte, key []byte, parts ...[]byte) {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	if len(key) > sha256.BlockSize || total > hmacInline {
		m := hmac.New(sha256.New, key)
		for _, p := range parts {
			m.Write(p)
		}
		m.Sum(out[:0])
		return
	}
	var buf [sha256.BlockSize + hmacInline]byte
	copy(buf[:], key)
	for i := range sha256.BlockSize {
		buf[i] ^= 0x36
	}
	n := sha256.BlockSize
	for _, p := range parts {
		n += copy(buf[n:], p)
	}
	inner := sha256.Sum256(buf[:n])
	clear(buf[:])
	copy(buf[:], key)
	for i := range sha256.BlockSize {
		buf[i] ^= 0x5c
	}
	copy(buf[sha256.BlockSize:], inner[:])
	*out = sha256.Sum256(buf[:sha256.BlockSize+sha256.Size])
	clear(buf[:])
	clear(inner[:])
}

// HKDFExpandTo fills out (at most 255·32 bytes) with HKDF-SHA256-Expand(prk,
// info) — RFC 5869 §2.3 — using HMACTo.
func HKDFExpandTo(out, prk []byte, info string) {
	var t [32]byte
	var ctr [1]byte
	prev := t[:0]
	for off := 0; off < len(out); off += 32 {
		ctr[0]++
		HMACTo(&t, prk, prev, []byte(info), ctr[:])
		copy(out[off:], t[:])
		prev = t[:]
	}
	clear(t[:])
}
