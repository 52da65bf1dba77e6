package kt

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/wire"
)

// Domain strings of the two signatures over a tree head.
const (
	headDomain    = "sotto-kt-tree-head-v1\x00"
	witnessDomain = "sotto-kt-witness-v1\x00"
)

// MaxCosignatures bounds the co-signatures carried with a tree head, so an
// encoded SignedTreeHead stays under 1 KiB (it travels inside messages).
const MaxCosignatures = 6

// MaxTreeHeadSize bounds an encoded SignedTreeHead.
const MaxTreeHeadSize = 2 + 8 + 36 + 8 + 68 + 4 + MaxCosignatures*cosigBody

const cosigBody = 36 + 8 + 68

// TreeHead is the log's state at Size entries.
type TreeHead struct {
	Size uint64
	Root Hash
	Time time.Time // when the relay signed it (millisecond precision)
}

// message is what the log key signs: domain ‖ size ‖ root ‖ time ms.
func (h TreeHead) message() []byte {
	b := make([]byte, 0, len(headDomain)+8+HashSize+8)
	b = append(b, headDomain...)
	b = binary.BigEndian.AppendUint64(b, h.Size)
	b = append(b, h.Root[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(h.Time.UnixMilli()))
}

// Cosignature is a witness's statement that it saw this tree head and that
// it is consistent with every earlier head the witness saw from this log.
type Cosignature struct {
	Witness   [ed25519.PublicKeySize]byte
	Time      time.Time
	Signature [ed25519.SignatureSize]byte
}

// cosignMessage binds the witness's time, the log key and the head.
func cosignMessage(logKey ed25519.PublicKey, at time.Time, h TreeHead) []byte {
	b := append([]byte(witnessDomain), binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli()))...)
	b = append(b, logKey...)
	return append(b, h.message()...)
}

// SignedTreeHead is a tree head with the log's signature and any witness
// co-signatures.
type SignedTreeHead struct {
	TreeHead
	Signature    [ed25519.SignatureSize]byte
	Cosignatures []Cosignature
}

// SignTreeHead signs h with the log key.
func SignTreeHead(logKey ed25519.PrivateKey, h TreeHead) SignedTreeHead {
	h.Time = time.UnixMilli(h.Time.UnixMilli())
	s := SignedTreeHead{TreeHead: h}
	copy(s.Signature[:], ed25519.Sign(logKey, h.message()))
	return s
}

// Cosign co-signs h (already checked by the witness) with a witness key.
func Cosign(witness ed25519.PrivateKey, logKey ed25519.PublicKey, at time.Time, h TreeHead) Cosignature {
	at = time.UnixMilli(at.UnixMilli())
	c := Cosignature{Time: at}
	copy(c.Witness[:], witness.Public().(ed25519.PublicKey))
	copy(c.Signature[:], ed25519.Sign(witness, cosignMessage(logKey, at, h)))
	return c
}

// VerifySignature checks the log's signature.
func (s SignedTreeHead) VerifySignature(logKey ed25519.PublicKey) error {
	if len(logKey) != ed25519.PublicKeySize || !ed25519.Verify(logKey, s.message(), s.Signature[:]) {
		return ErrBadSignature
	}
	return nil
}

// VerifyCosignature checks one co-signature of s by the log logKey.
func (s SignedTreeHead) VerifyCosignature(logKey ed25519.PublicKey, c Cosignature) error {
	if !ed25519.Verify(c.Witness[:], cosignMessage(logKey, c.Time, s.TreeHead), c.Signature[:]) {
		return fmt.Errorf("%w: co-signature", ErrBadSignature)
	}
	return nil
}

// Equal reports whether two heads have the same size, root and time.
func (h TreeHead) Equal(o TreeHead) bool {
	return h.Size == o.Size && h.Root == o.Root && h.Time.Equal(o.Time)
}

func (c Cosignature) encode(e *wire.Encoder) {
	e.Bytes(c.Witness[:])
	e.Int64(c.Time.UnixMilli())
	e.Bytes(c.Signature[:])
}

func decodeCosignature(d *wire.Decoder) Cosignature {
	var c Cosignature
	copy(c.Witness[:], d.Fixed("witness", ed25519.PublicKeySize))
	c.Time = time.UnixMilli(d.Int64("witness time"))
	copy(c.Signature[:], d.Fixed("witness signature", ed25519.SignatureSize))
	return c
}

// Marshal encodes c alone (a witness hands it to the relay this way).
func (c Cosignature) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeKTCosignature, cosigBody+2)
	c.encode(e)
	return e.Finish()
}

// ParseCosignature decodes a Cosignature strictly.
func ParseCosignature(b []byte) (Cosignature, error) {
	d := wire.NewDecoder(b, wire.TypeKTCosignature)
	c := decodeCosignature(d)
	if err := d.Finish(); err != nil {
		return Cosignature{}, fmt.Errorf("%w: co-signature: %w", ErrMalformed, err)
	}
	return c, nil
}

// Marshal encodes s with its co-signatures (at most MaxCosignatures are
// kept).
func (s SignedTreeHead) Marshal() []byte {
	e := wire.NewEncoder(wire.TypeKTTreeHead, MaxTreeHeadSize)
	e.Uint64(s.Size)
	e.Bytes(s.Root[:])
	e.Int64(s.Time.UnixMilli())
	e.Bytes(s.Signature[:])
	cs := s.Cosignatures
	if len(cs) > MaxCosignatures {
		cs = cs[:MaxCosignatures]
	}
	e.Uint32(uint32(len(cs)))
	for _, c := range cs {
		c.encode(e)
	}
	return e.Finish()
}

// ParseSignedTreeHead decodes a SignedTreeHead strictly. It does not verify
// signatures.
func ParseSignedTreeHead(b []byte) (SignedTreeHead, error) {
	if len(b) > MaxTreeHeadSize {
		return SignedTreeHead{}, fmt.Errorf("%w: tree head of %d bytes", ErrMalformed, len(b))
	}
	var s SignedTreeHead
	d := wire.NewDecoder(b, wire.TypeKTTreeHead)
	s.Size = d.Uint64("size")
	copy(s.Root[:], d.Fixed("root", HashSize))
	s.Time = time.UnixMilli(d.Int64("time"))
	copy(s.Signature[:], d.Fixed("signature", ed25519.SignatureSize))
	n := d.Uint32("co-signatures")
	if d.Err() == nil && n > MaxCosignatures {
		d.Fail("co-signatures", wire.ErrOversize)
	}
	for i := uint32(0); i < n && d.Err() == nil; i++ {
		s.Cosignatures = append(s.Cosignatures, decodeCosignature(d))
	}
	if err := d.Finish(); err != nil {
		return SignedTreeHead{}, fmt.Errorf("%w: tree head: %w", ErrMalformed, err)
	}
	return s, nil
}
