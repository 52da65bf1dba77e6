package api

import (
	"encoding/binary"
	"errors"
	"math/bits"

	"golang.org/x/crypto/argon2"

	"github.com/sotto-im/sotto/handle"
)

// PowParams are the Argon2id proof-of-work parameters a relay asks for:
// a solution is a nonce whose Argon2id output starts with Bits zero bits.
type PowParams struct {
	Bits      int    `json:"bits"`
	MemoryKiB uint32 `json:"memory_kib"`
	Time      uint32 `json:"time"`
}

// Bounds a client accepts from a relay and a relay accepts in its
// configuration, so neither side can be made to do unbounded work.
const (
	MaxPowBits      = 24
	MaxPowMemoryKiB = 1 << 20 // 1 GiB
	MaxPowTime      = 16
)

// ErrPowParams reports parameters outside the bounds above.
var ErrPowParams = errors.New("proof-of-work parameters out of bounds")

// Validate checks p against the bounds.
func (p PowParams) Validate() error {
	if p.Bits < 0 || p.Bits > MaxPowBits || p.MemoryKiB < 8 || p.MemoryKiB > MaxPowMemoryKiB ||
		p.Time < 1 || p.Time > MaxPowTime {
		return ErrPowParams
	}
	return nil
}

// PowHash is Argon2id over the challenge, the handle hash being claimed and
// the nonce, salted with the challenge: a solution is bound to one
// challenge and one handle.
func PowHash(p PowParams, challenge []byte, h handle.Hash, nonce uint64) []byte {
	pw := make([]byte, 0, 12+len(challenge)+len(h)+8)
	pw = append(pw, "sotto-pow-v1"...)
	pw = append(pw, challenge...)
	pw = append(pw, h[:]...)
	pw = binary.LittleEndian.AppendUint64(pw, nonce)
	return argon2.IDKey(pw, challenge, p.Time, p.MemoryKiB, 1, 32)
}

// PowOK reports whether nonce solves the puzzle.
func PowOK(p PowParams, challenge []byte, h handle.Hash, nonce uint64) bool {
	return leadingZeroBits(PowHash(p, challenge, h, nonce)) >= p.Bits
}

// SolvePow searches nonces from 0 until one solves the puzzle or stop
// returns true (checked between attempts). ok is false when stopped.
func SolvePow(p PowParams, challenge []byte, h handle.Hash, stop func() bool) (nonce uint64, ok bool) {
	for n := uint64(0); ; n++ {
		if stop != nil && stop() {
			return 0, false
		}
		if PowOK(p, challenge, h, n) {
			return n, true
		}
	}
}

func leadingZeroBits(b []byte) int {
	n := 0
	for _, x := range b {
		if x == 0 {
			n += 8
			continue
		}
		return n + bits.LeadingZeros8(x)
	}
	return n
}
