package ratchet

import (
	"bytes"
	"slices"
)

// MaxPlaintext is the largest plaintext a message can carry. Its padded form
// fills the largest bucket (512 KiB).
const MaxPlaintext = 512<<10 - 1

const minBucket = 256

// PaddedSize returns the bucket a plaintext of n bytes is padded to: the
// smallest of 256·2^k or 384·2^k that holds n+1 bytes (the +1 is the 0x80
// marker). Buckets hide lengths to within a factor of 1.5.
func PaddedSize(n int) int {
	need := n + 1
	b := minBucket
	for {
		if need <= b {
			return b
		}
		if need <= b+b/2 {
			return b + b/2
		}
		b *= 2
	}
}

// Pad appends plaintext, the 0x80 marker and zero bytes up to the bucket
// size to dst (ISO/IEC 7816-4 padding).
func Pad(dst, plaintext []byte) []byte {
	size := PaddedSize(len(plaintext))
	start := len(dst)
	dst = slices.Grow(dst, size)[:start+size]
	copy(dst[start:], plaintext)
	dst[start+len(plaintext)] = 0x80
	clear(dst[start+len(plaintext)+1:])
	return dst
}

// Unpad strips the padding Pad added.
func Unpad(padded []byte) ([]byte, error) {
	i := len(bytes.TrimRight(padded, "\x00")) - 1
	if i < 0 || padded[i] != 0x80 || PaddedSize(i) != len(padded) {
		return nil, ErrBadPadding
	}
	return padded[:i], nil
}
