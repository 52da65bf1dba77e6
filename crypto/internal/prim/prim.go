package prim

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/sha256"
	"errors"
	"hash"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// ErrLowOrder is returned when an X25519 exchange yields the all-zero shared
// secret, which happens exactly when the peer's point has small order.
var ErrLowOrder = errors.New("x25519: low-order public key")

// ErrDecrypt is returned for every AEAD authentication failure.
var ErrDecrypt = errors.New("aead: message authentication failed")

// ErrRandom is returned when the random source fails or runs short.
var ErrRandom = errors.New("random source failed")

// Sizes used across the protocol.
const (
	X25519Size        = 32
	Ed25519PublicSize = ed25519.PublicKeySize
	Ed25519SeedSize   = ed25519.SeedSize
	SignatureSize     = ed25519.SignatureSize
	MLKEMSeedSize     = mlkem.SeedSize
	MLKEMPublicSize   = mlkem.EncapsulationKeySize1024
	MLKEMCiphertext   = mlkem.CiphertextSize1024
	MLKEMSharedSize   = mlkem.SharedKeySize
	AEADKeySize       = chacha20poly1305.KeySize
	AEADNonceSize     = chacha20poly1305.NonceSize
	XNonceSize        = chacha20poly1305.NonceSizeX
	TagSize           = chacha20poly1305.Overhead
)

// Random fills b from r, failing with ErrRandom on a short read.
func Random(r io.Reader, b []byte) error {
	if _, err := io.ReadFull(r, b); err != nil {
		return ErrRandom
	}
	return nil
}

// NewX25519Private builds an X25519 private key from 32 bytes (clamped by the
// curve as RFC 7748 requires).
func NewX25519Private(b []byte) (*ecdh.PrivateKey, error) {
	return ecdh.X25519().NewPrivateKey(b)
}

// GenerateX25519 draws 32 bytes from r and returns the key.
func GenerateX25519(r io.Reader) (*ecdh.PrivateKey, error) {
	var seed [X25519Size]byte
	if err := Random(r, seed[:]); err != nil {
		return nil, err
	}
	k, err := ecdh.X25519().NewPrivateKey(seed[:])
	Wipe(seed[:])
	return k, err
}

// NewX25519Public parses a 32-byte X25519 public key.
func NewX25519Public(b []byte) (*ecdh.PublicKey, error) {
	return ecdh.X25519().NewPublicKey(b)
}

// X25519 computes the shared secret and rejects the all-zero result.
func X25519(priv *ecdh.PrivateKey, pub *ecdh.PublicKey) ([]byte, error) {
	s, err := priv.ECDH(pub)
	if err != nil {
		return nil, ErrLowOrder
	}
	return s, nil
}

// X25519Raw runs X25519 on raw bytes: scalar and peer point, both 32 bytes.
func X25519Raw(scalar, point []byte) ([]byte, error) {
	k, err := NewX25519Private(scalar)
	if err != nil {
		return nil, err
	}
	p, err := NewX25519Public(point)
	if err != nil {
		return nil, err
	}
	return X25519(k, p)
}

// Ed25519Verify reports whether sig is a valid signature of msg by pub. It
// returns false for keys of the wrong length instead of panicking.
func Ed25519Verify(pub, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(pub), msg, sig)
}

// HKDF derives n bytes with HKDF-SHA256 (extract and expand).
func HKDF(secret, salt []byte, info string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, salt, info, n)
}

// HKDFExpand is HKDF-SHA256's expand step alone, for a key that is already
// uniformly random.
func HKDFExpand(prk []byte, info string, n int) ([]byte, error) {
	return hkdf.Expand(sha256.New, prk, info, n)
}

// NewHMAC returns HMAC-SHA256 keyed with key.
func NewHMAC(key []byte) hash.Hash {
	return hmac.New(sha256.New, key)
}

// HMAC computes HMAC-SHA256(key, data).
func HMAC(key, data []byte) []byte {
	var out [32]byte
	HMACTo(&out, key, data)
	return out[:]
}

// NewAEAD returns ChaCha20-Poly1305 (RFC 8439) keyed with a 32-byte key.
func NewAEAD(key []byte) (cipher.AEAD, error) {
	return chacha20poly1305.New(key)
}

// NewXAEAD returns XChaCha20-Poly1305 keyed with a 32-byte key.
func NewXAEAD(key []byte) (cipher.AEAD, error) {
	return chacha20poly1305.NewX(key)
}

// Seal encrypts with ChaCha20-Poly1305, appending to dst.
func Seal(dst, key, nonce, plaintext, ad []byte) ([]byte, error) {
	return seal(NewAEAD, dst, key, nonce, plaintext, ad)
}

// Open decrypts with ChaCha20-Poly1305, appending to dst.
func Open(dst, key, nonce, ciphertext, ad []byte) ([]byte, error) {
	return open(NewAEAD, dst, key, nonce, ciphertext, ad)
}

// SealX encrypts with XChaCha20-Poly1305, appending to dst.
func SealX(dst, key, nonce, plaintext, ad []byte) ([]byte, error) {
	return seal(NewXAEAD, dst, key, nonce, plaintext, ad)
}

// OpenX decrypts with XChaCha20-Poly1305, appending to dst.
func OpenX(dst, key, nonce, ciphertext, ad []byte) ([]byte, error) {
	return open(NewXAEAD, dst, key, nonce, ciphertext, ad)
}

func seal(newAEAD func([]byte) (cipher.AEAD, error), dst, key, nonce, plaintext, ad []byte) ([]byte, error) {
	a, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(nonce) != a.NonceSize() {
		return nil, errors.New("aead: bad nonce length")
	}
	return a.Seal(dst, nonce, plaintext, ad), nil
}

// open reports every failure, a wrong nonce length included, as ErrDecrypt.
func open(newAEAD func([]byte) (cipher.AEAD, error), dst, key, nonce, ciphertext, ad []byte) ([]byte, error) {
	a, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(nonce) != a.NonceSize() {
		return nil, ErrDecrypt
	}
	out, err := a.Open(dst, nonce, ciphertext, ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// NewMLKEMPrivate expands a 64-byte seed into an ML-KEM-1024 decapsulation key.
func NewMLKEMPrivate(seed []byte) (*mlkem.DecapsulationKey1024, error) {
	return mlkem.NewDecapsulationKey1024(seed)
}

// NewMLKEMPublic parses an ML-KEM-1024 encapsulation key.
func NewMLKEMPublic(b []byte) (*mlkem.EncapsulationKey1024, error) {
	return mlkem.NewEncapsulationKey1024(b)
}

// MLKEMEncapsulate encapsulates to ek. The standard library draws the
// encapsulation randomness from its own CSPRNG; Go offers no way to hand it
// a reader outside of known-answer tests.
func MLKEMEncapsulate(ek *mlkem.EncapsulationKey1024) (shared, ciphertext []byte) {
	return ek.Encapsulate()
}

// MLKEMDecapsulate decapsulates ct. An invalid ciphertext of the right length
// yields an implicit-rejection key (FIPS 203), not an error: the protocol
// fails later at the AEAD.
func MLKEMDecapsulate(dk *mlkem.DecapsulationKey1024, ct []byte) ([]byte, error) {
	return dk.Decapsulate(ct)
}

// Wipe zeroes b. Go may have copied the data elsewhere; this erases the copy
// we control.
func Wipe(b []byte) {
	clear(b)
}
