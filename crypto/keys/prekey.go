package keys

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/mlkem"
	"crypto/subtle"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sotto-im/sotto/crypto/internal/prim"
	"github.com/sotto-im/sotto/crypto/wire"
)

// PrekeyType says what a prekey is for. The zero value is PrekeyUnknown and
// never valid.
type PrekeyType uint8

// Prekey types. Values are part of the wire format.
const (
	PrekeyUnknown         PrekeyType = 0
	PrekeySignedX25519    PrekeyType = 1 // medium-term, rotated
	PrekeyOneTimeX25519   PrekeyType = 2 // used at most once
	PrekeyLastResortMLKEM PrekeyType = 3 // ML-KEM-1024, used when no one-time one is left
	PrekeyOneTimeMLKEM    PrekeyType = 4 // ML-KEM-1024, used at most once
	numPrekeyTypes                   = 5
)

var prekeyTypeNames = [numPrekeyTypes]string{"unknown", "signed-x25519", "one-time-x25519", "last-resort-mlkem1024", "one-time-mlkem1024"}

// String returns the type's name.
func (t PrekeyType) String() string {
	if t < numPrekeyTypes {
		return prekeyTypeNames[t]
	}
	return "prekey-type(" + strconv.Itoa(int(t)) + ")"
}

// ParsePrekeyType parses the name String returns.
func ParsePrekeyType(s string) (PrekeyType, error) {
	for i := PrekeyType(1); i < numPrekeyTypes; i++ {
		if prekeyTypeNames[i] == s {
			return i, nil
		}
	}
	return PrekeyUnknown, fmt.Errorf("prekey type %q: %w", s, ErrWrongType)
}

// Valid reports whether t is a known, non-zero type.
func (t PrekeyType) Valid() bool { return t > PrekeyUnknown && t < numPrekeyTypes }

// IsMLKEM reports whether t carries an ML-KEM-1024 key.
func (t PrekeyType) IsMLKEM() bool { return t == PrekeyLastResortMLKEM || t == PrekeyOneTimeMLKEM }

// IsOneTime reports whether t must be consumed at most once.
func (t PrekeyType) IsOneTime() bool { return t == PrekeyOneTimeX25519 || t == PrekeyOneTimeMLKEM }

func (t PrekeyType) publicSize() int {
	if t.IsMLKEM() {
		return prim.MLKEMPublicSize
	}
	return prim.X25519Size
}

func (t PrekeyType) seedSize() int {
	if t.IsMLKEM() {
		return prim.MLKEMSeedSize
	}
	return prim.X25519Size
}

// PrekeyID names a prekey within one device and type. Zero is invalid.
type PrekeyID uint32

// String returns the decimal form.
func (id PrekeyID) String() string { return strconv.FormatUint(uint64(id), 10) }

// SignedPrekey is the public half of a prekey with the device's signature
// over its type, device id, prekey id, expiry and public key.
type SignedPrekey struct {
	Type      PrekeyType
	Device    DeviceID
	ID        PrekeyID
	Expiry    time.Time // whole seconds, UTC
	Public    []byte    // 32-byte X25519 or 1568-byte ML-KEM-1024 encapsulation key
	Signature []byte
}

func (p *SignedPrekey) encodeBody(e *wire.Encoder) {
	e.Uint8(uint8(p.Type))
	e.Uint32(uint32(p.Device))
	e.Uint32(uint32(p.ID))
	e.Int64(p.Expiry.Unix())
	e.Bytes(p.Public)
}

func (p *SignedPrekey) signedFields() []byte {
	e := wire.NewEncoder(wire.TypeSignedPrekey, 32+len(p.Public))
	p.encodeBody(e)
	return e.Finish()
}

// Marshal returns the wire encoding.
func (p SignedPrekey) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeSignedPrekey, 96+len(p.Public))
	p.encodeBody(e)
	e.Bytes(p.Signature)
	return e.Finish()
}

// ParseSignedPrekey decodes a prekey and checks its key format, not its
// signature: call Verify.
func ParseSignedPrekey(b []byte) (SignedPrekey, error) {
	d := wire.NewDecoder(b, wire.TypeSignedPrekey)
	p, err := decodeSignedPrekey(d)
	if err == nil {
		err = d.Finish()
	}
	if err != nil {
		return SignedPrekey{}, fmt.Errorf("signed prekey: %w", err)
	}
	return p, nil
}

func decodeSignedPrekey(d *wire.Decoder) (SignedPrekey, error) {
	var p SignedPrekey
	p.Type = PrekeyType(d.Uint8("type"))
	if d.Err() == nil && !p.Type.Valid() {
		return p, fmt.Errorf("%v: %w", p.Type, ErrWrongType)
	}
	p.Device = DeviceID(d.Uint32("device"))
	p.ID = PrekeyID(d.Uint32("id"))
	exp := d.Int64("expiry")
	pub := d.Fixed("public key", p.Type.publicSize())
	sig := d.Fixed("signature", ed25519.SignatureSize)
	if err := d.Err(); err != nil {
		return p, err
	}
	p.Expiry = time.Unix(exp, 0).UTC()
	p.Public = append([]byte(nil), pub...)
	p.Signature = append([]byte(nil), sig...)
	if p.Device == 0 || p.ID == 0 {
		return p, ErrInvalidID
	}
	return p, p.checkPublic()
}

func (p *SignedPrekey) checkPublic() error {
	if !p.Type.Valid() {
		return fmt.Errorf("%v: %w", p.Type, ErrWrongType)
	}
	if len(p.Public) != p.Type.publicSize() {
		return fmt.Errorf("%v public key: %w", p.Type, ErrInvalidKey)
	}
	if p.Type.IsMLKEM() {
		if _, err := prim.NewMLKEMPublic(p.Public); err != nil {
			return fmt.Errorf("%v public key: %w", p.Type, ErrInvalidKey)
		}
		return nil
	}
	if _, err := ParseX25519PublicKey(p.Public); err != nil {
		return fmt.Errorf("%v public key: %w", p.Type, ErrInvalidKey)
	}
	return nil
}

// Verify checks that the prekey belongs to cert's device, is signed by cert's
// signing key, has a well-formed public key and has not expired at now. It
// does not verify cert itself (see DeviceCertificate.Verify and
// Bundle.Verify). Errors: ErrWrongSigner, ErrUnsigned, ErrBadSignature,
// ErrExpired, ErrWrongType, ErrInvalidKey, ErrInvalidID.
func (p SignedPrekey) Verify(cert DeviceCertificate, now time.Time) error {
	if p.Device == 0 || p.ID == 0 {
		return fmt.Errorf("prekey: %w", ErrInvalidID)
	}
	if err := p.checkPublic(); err != nil {
		return fmt.Errorf("prekey %v/%v: %w", p.Type, p.ID, err)
	}
	if p.Device != cert.Device {
		return fmt.Errorf("prekey %v/%v for device %v checked against device %v: %w", p.Type, p.ID, p.Device, cert.Device, ErrWrongSigner)
	}
	if err := cert.SigningKey.verifyStatement(labelPrekey, p.signedFields(), p.Signature); err != nil {
		return fmt.Errorf("prekey %v/%v: %w", p.Type, p.ID, err)
	}
	if !now.Before(p.Expiry) {
		return fmt.Errorf("prekey %v/%v: %w", p.Type, p.ID, ErrExpired)
	}
	return nil
}

// X25519 returns the public key of an X25519 prekey.
func (p SignedPrekey) X25519() (X25519PublicKey, error) {
	if p.Type.IsMLKEM() || !p.Type.Valid() {
		return X25519PublicKey{}, fmt.Errorf("%v is not an x25519 prekey: %w", p.Type, ErrWrongType)
	}
	return ParseX25519PublicKey(p.Public)
}

// MLKEM returns the encapsulation key of an ML-KEM-1024 prekey.
func (p SignedPrekey) MLKEM() (*mlkem.EncapsulationKey1024, error) {
	if !p.Type.IsMLKEM() {
		return nil, fmt.Errorf("%v is not an ml-kem prekey: %w", p.Type, ErrWrongType)
	}
	k, err := prim.NewMLKEMPublic(p.Public)
	if err != nil {
		return nil, fmt.Errorf("%v public key: %w", p.Type, ErrInvalidKey)
	}
	return k, nil
}

// PrekeyPrivate is the device-side half of a prekey: its seed and the signed
// public part. Not comparable with ==; Destroy it once consumed.
type PrekeyPrivate struct {
	_      [0]func()
	signed SignedPrekey
	seed   []byte
	// The expanded key, built once from seed: X25519 public-key and ML-KEM
	// key expansion are too costly to repeat per session setup.
	dh *ecdh.PrivateKey
	dk *mlkem.DecapsulationKey1024
}

// GeneratePrekey creates and signs a prekey of type typ for device.
func GeneratePrekey(r io.Reader, device *DevicePrivateKey, typ PrekeyType, id PrekeyID, expiry time.Time) (*PrekeyPrivate, error) {
	if !typ.Valid() {
		return nil, fmt.Errorf("generate prekey: %v: %w", typ, ErrWrongType)
	}
	if id == 0 {
		return nil, fmt.Errorf("generate prekey: %w", ErrInvalidID)
	}
	seed := make([]byte, typ.seedSize())
	if err := prim.Random(r, seed); err != nil {
		return nil, fmt.Errorf("generate prekey: %w", err)
	}
	p := &PrekeyPrivate{seed: seed, signed: SignedPrekey{
		Type: typ, Device: device.ID(), ID: id, Expiry: normTime(expiry),
	}}
	pub, err := p.publicFromSeed()
	if err != nil {
		p.Destroy()
		return nil, fmt.Errorf("generate prekey: %w", err)
	}
	p.signed.Public = pub
	p.signed.Signature = device.signStatement(labelPrekey, p.signed.signedFields())
	return p, nil
}

// publicFromSeed expands the seed, keeps the expanded private key and
// returns the public key bytes.
func (p *PrekeyPrivate) publicFromSeed() ([]byte, error) {
	if p.signed.Type.IsMLKEM() {
		dk, err := prim.NewMLKEMPrivate(p.seed)
		if err != nil {
			return nil, ErrInvalidKey
		}
		p.dk = dk
		return dk.EncapsulationKey().Bytes(), nil
	}
	k, err := prim.NewX25519Private(p.seed)
	if err != nil {
		return nil, ErrInvalidKey
	}
	p.dh = k
	return k.PublicKey().Bytes(), nil
}

func (p *PrekeyPrivate) mustLive() {
	if p == nil || p.seed == nil {
		panic("keys: use of nil or destroyed PrekeyPrivate")
	}
}

// Signed returns the public, signed half for upload.
func (p *PrekeyPrivate) Signed() SignedPrekey {
	p.mustLive()
	s := p.signed
	s.Public = append([]byte(nil), s.Public...)
	s.Signature = append([]byte(nil), s.Signature...)
	return s
}

// Type returns the prekey's type.
func (p *PrekeyPrivate) Type() PrekeyType { p.mustLive(); return p.signed.Type }

// ID returns the prekey's id.
func (p *PrekeyPrivate) ID() PrekeyID { p.mustLive(); return p.signed.ID }

// X25519 returns the private key of an X25519 prekey.
func (p *PrekeyPrivate) X25519() (*ecdh.PrivateKey, error) {
	p.mustLive()
	if p.signed.Type.IsMLKEM() {
		return nil, fmt.Errorf("%v is not an x25519 prekey: %w", p.signed.Type, ErrWrongType)
	}
	return p.dh, nil
}

// MLKEM returns the decapsulation key of an ML-KEM-1024 prekey.
func (p *PrekeyPrivate) MLKEM() (*mlkem.DecapsulationKey1024, error) {
	p.mustLive()
	if !p.signed.Type.IsMLKEM() {
		return nil, fmt.Errorf("%v is not an ml-kem prekey: %w", p.signed.Type, ErrWrongType)
	}
	return p.dk, nil
}

// MarshalBinary encodes the prekey (secret and signed public half) for local
// storage. The result is secret.
func (p *PrekeyPrivate) MarshalBinary() ([]byte, error) {
	p.mustLive()
	e := wire.NewEncoder(wire.TypePrivateKey, 200+len(p.signed.Public))
	e.Uint8(privateKindPrekey)
	e.Bytes(p.seed)
	e.Bytes(p.signed.Marshal())
	return e.Finish(), nil
}

// ParsePrekeyPrivate decodes MarshalBinary's output and checks that the seed
// matches the stored public key.
func ParsePrekeyPrivate(b []byte) (*PrekeyPrivate, error) {
	d := wire.NewDecoder(b, wire.TypePrivateKey)
	if d.Uint8("kind") != privateKindPrekey && d.Err() == nil {
		d.Fail("kind", wire.ErrInvalidValue)
	}
	seed := d.Bytes("seed", prim.MLKEMSeedSize)
	signed := d.Bytes("signed prekey", 4096)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("prekey private key: %w", err)
	}
	sp, err := ParseSignedPrekey(signed)
	if err != nil {
		return nil, fmt.Errorf("prekey private key: %w", err)
	}
	if len(seed) != sp.Type.seedSize() {
		return nil, fmt.Errorf("prekey private key: %w", ErrInvalidKey)
	}
	p := &PrekeyPrivate{signed: sp, seed: append([]byte(nil), seed...)}
	pub, err := p.publicFromSeed()
	if err != nil || subtle.ConstantTimeCompare(pub, sp.Public) != 1 {
		p.Destroy()
		return nil, fmt.Errorf("prekey private key: seed does not match public key: %w", ErrInvalidKey)
	}
	return p, nil
}

// Equal reports whether p and o hold the same prekey, in constant time.
func (p *PrekeyPrivate) Equal(o *PrekeyPrivate) bool {
	if p == nil || o == nil {
		return p == o
	}
	return p.signed.Type == o.signed.Type && p.signed.ID == o.signed.ID &&
		subtle.ConstantTimeCompare(p.seed, o.seed) == 1
}

// String never reveals the key (value receiver: see IdentityPrivateKey.String).
func (p PrekeyPrivate) String() string {
	if p.seed == nil {
		return "prekey(destroyed)"
	}
	return fmt.Sprintf("prekey(%v/%v %s)", p.signed.Type, p.signed.ID, redacted)
}

// GoString never reveals the key.
func (p PrekeyPrivate) GoString() string { return p.String() }

// Destroy zeroes the seed. Any later use panics.
func (p *PrekeyPrivate) Destroy() {
	if p == nil {
		return
	}
	prim.Wipe(p.seed)
	p.seed = nil
	p.dh, p.dk = nil, nil
}

// MaxPrekeyBatch bounds how many prekeys one upload may carry.
const MaxPrekeyBatch = 200

// MarshalPrekeyBatch encodes a list of signed prekeys for upload. It panics
// if the list is longer than MaxPrekeyBatch (a programming error).
func MarshalPrekeyBatch(ps []SignedPrekey) []byte {
	if len(ps) > MaxPrekeyBatch {
		panic("keys: prekey batch too long")
	}
	e := wire.NewEncoder(wire.TypePrekeyBatch, len(ps)*1700)
	e.Uint32(uint32(len(ps)))
	for i := range ps {
		e.Bytes(ps[i].Marshal())
	}
	return e.Finish()
}

// ParsePrekeyBatch decodes MarshalPrekeyBatch's output. Each prekey's key
// format is checked; signatures are not (call Verify on each).
func ParsePrekeyBatch(b []byte) ([]SignedPrekey, error) {
	d := wire.NewDecoder(b, wire.TypePrekeyBatch)
	n := d.Uint32("count")
	if d.Err() == nil && n > MaxPrekeyBatch {
		d.Fail("count", wire.ErrOversize)
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("prekey batch: %w", err)
	}
	out := make([]SignedPrekey, 0, n)
	for i := uint32(0); i < n; i++ {
		raw := d.Bytes("prekey", maxSignedPrekeySize)
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("prekey batch: %w", err)
		}
		p, err := ParseSignedPrekey(raw)
		if err != nil {
			return nil, fmt.Errorf("prekey batch entry %d: %w", i, err)
		}
		out = append(out, p)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("prekey batch: %w", err)
	}
	return out, nil
}

const maxSignedPrekeySize = 2 + 1 + 4 + 4 + 8 + 4 + prim.MLKEMPublicSize + 4 + ed25519.SignatureSize
