package keys

import (
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/sotto-im/sotto/crypto/internal/prim"
)

// IdentityPublicKey is an account's Ed25519 identity key. It certifies the
// account's devices and is what safety numbers and key transparency are
// about. The zero value is invalid; use ParseIdentityPublicKey.
type IdentityPublicKey struct {
	k [ed25519.PublicKeySize]byte
}

// ParseIdentityPublicKey parses the 32-byte encoding of an identity key.
func ParseIdentityPublicKey(b []byte) (IdentityPublicKey, error) {
	var k IdentityPublicKey
	if err := parseEd25519Public(k.k[:], b); err != nil {
		return IdentityPublicKey{}, fmt.Errorf("identity key: %w", err)
	}
	return k, nil
}

// ParseIdentityPublicKeyText parses the "sotto-idpub:" text form.
func ParseIdentityPublicKeyText(s string) (IdentityPublicKey, error) {
	b, err := parseText(s, prefixIdentityPublic, ed25519.PublicKeySize)
	if err != nil {
		return IdentityPublicKey{}, err
	}
	return ParseIdentityPublicKey(b)
}

// Bytes returns the 32-byte encoding.
func (k IdentityPublicKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// IsZero reports whether k is the zero value.
func (k IdentityPublicKey) IsZero() bool { return k == IdentityPublicKey{} }

// Equal reports whether k and o are the same key, in constant time.
func (k IdentityPublicKey) Equal(o IdentityPublicKey) bool {
	return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1
}

// String returns the "sotto-idpub:" text form.
func (k IdentityPublicKey) String() string {
	return string(appendText(nil, prefixIdentityPublic, k.k[:]))
}

// MarshalText implements encoding.TextMarshaler.
func (k IdentityPublicKey) MarshalText() ([]byte, error) {
	return appendText(nil, prefixIdentityPublic, k.k[:]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *IdentityPublicKey) UnmarshalText(text []byte) error {
	p, err := ParseIdentityPublicKeyText(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// Verify checks an application signature made with IdentityPrivateKey.Sign
// under the same context.
func (k IdentityPublicKey) Verify(context string, msg, sig []byte) bool {
	return prim.Ed25519Verify(k.k[:], applicationMessage(context, msg), sig)
}

func (k IdentityPublicKey) verifyStatement(label string, fields, sig []byte) error {
	if isUnsigned(sig) {
		return ErrUnsigned
	}
	if !prim.Ed25519Verify(k.k[:], signedMessage(label, fields), sig) {
		return ErrBadSignature
	}
	return nil
}

// IdentityPrivateKey is an account's Ed25519 identity signing key. It is not
// comparable with ==; use Equal. Call Destroy when it is no longer needed.
type IdentityPrivateKey struct {
	_    [0]func()
	seed [ed25519.SeedSize]byte
	priv ed25519.PrivateKey
}

// GenerateIdentity creates an identity key from 32 bytes of r.
func GenerateIdentity(r io.Reader) (*IdentityPrivateKey, error) {
	var seed [ed25519.SeedSize]byte
	if err := prim.Random(r, seed[:]); err != nil {
		return nil, fmt.Errorf("generate identity key: %w", err)
	}
	defer prim.Wipe(seed[:])
	return NewIdentityPrivateKey(seed[:])
}

// NewIdentityPrivateKey rebuilds an identity key from its 32-byte seed (as
// returned by Bytes).
func NewIdentityPrivateKey(seed []byte) (*IdentityPrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("identity private key: %w", ErrInvalidKey)
	}
	k := &IdentityPrivateKey{}
	copy(k.seed[:], seed)
	k.priv = ed25519.NewKeyFromSeed(k.seed[:])
	return k, nil
}

// ParseIdentityPrivateKeyText parses the "sotto-idpriv:" text form.
func ParseIdentityPrivateKeyText(s string) (*IdentityPrivateKey, error) {
	b, err := parseText(s, prefixIdentityPrivate, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	defer prim.Wipe(b)
	return NewIdentityPrivateKey(b)
}

func (k *IdentityPrivateKey) mustLive() {
	if k == nil || k.priv == nil {
		panic("keys: use of nil or destroyed IdentityPrivateKey")
	}
}

// Public returns the matching public key.
func (k *IdentityPrivateKey) Public() IdentityPublicKey {
	k.mustLive()
	var p IdentityPublicKey
	copy(p.k[:], k.priv[ed25519.SeedSize:])
	return p
}

// Bytes returns a copy of the 32-byte seed, for storage in the keyring.
func (k *IdentityPrivateKey) Bytes() []byte {
	k.mustLive()
	return append([]byte(nil), k.seed[:]...)
}

// MarshalText returns the "sotto-idpriv:" text form. It contains the secret.
func (k *IdentityPrivateKey) MarshalText() ([]byte, error) {
	k.mustLive()
	return appendText(nil, prefixIdentityPrivate, k.seed[:]), nil
}

// String never reveals the key. It and GoString have value receivers so
// that printing a dereferenced key does not dump its fields.
func (k IdentityPrivateKey) String() string { return prefixIdentityPrivate + redacted }

// GoString never reveals the key.
func (k IdentityPrivateKey) GoString() string { return k.String() }

// Equal reports whether k and o hold the same key, in constant time.
func (k *IdentityPrivateKey) Equal(o *IdentityPrivateKey) bool {
	if k == nil || o == nil {
		return k == o
	}
	return subtle.ConstantTimeCompare(k.seed[:], o.seed[:]) == 1
}

// Sign makes an application signature over msg under context (for example a
// relay challenge). It can never be mistaken for a certificate or prekey
// signature.
func (k *IdentityPrivateKey) Sign(context string, msg []byte) []byte {
	k.mustLive()
	return ed25519.Sign(k.priv, applicationMessage(context, msg))
}

func (k *IdentityPrivateKey) signStatement(label string, fields []byte) []byte {
	k.mustLive()
	return ed25519.Sign(k.priv, signedMessage(label, fields))
}

// Destroy zeroes the key. Any later use panics.
func (k *IdentityPrivateKey) Destroy() {
	if k == nil {
		return
	}
	prim.Wipe(k.seed[:])
	prim.Wipe(k.priv)
	k.priv = nil
}

func parseEd25519Public(dst, b []byte) error {
	if len(b) != ed25519.PublicKeySize {
		return ErrInvalidKey
	}
	var zero [ed25519.PublicKeySize]byte
	if subtle.ConstantTimeCompare(b, zero[:]) == 1 {
		return ErrInvalidKey
	}
	copy(dst, b)
	return nil
}
