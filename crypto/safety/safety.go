package safety

import (
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/wire"
)

// Iterations is the number of SHA-512 iterations per fingerprint.
const Iterations = 5200

// Version is the fingerprint version hashed into every fingerprint.
const Version uint16 = 0

// QRVersion is the version of the QR payload.
const QRVersion uint8 = 1

const fingerprintSize = 32

// Errors returned by CompareQR.
var (
	// ErrMismatch: the scanned code is for different keys — the identity
	// keys or handles are not the ones each side believes in.
	ErrMismatch = errors.New("safety: safety numbers do not match")
	// ErrQRVersion: the scanned code uses another payload version.
	ErrQRVersion = errors.New("safety: unsupported QR code version")
)

// Number is the safety number of one conversation, from the point of view
// of its local party. Compare the Digits, or scan the QR.
type Number struct {
	local, remote [fingerprintSize]byte
}

// fingerprint is the iterated SHA-512 over one party's key and identifier.
func fingerprint(id keys.IdentityPublicKey, stableID string) [fingerprintSize]byte {
	key := id.Bytes()
	buf := make([]byte, 0, sha512.Size+len(key)+2+len(stableID))
	buf = append(buf, byte(Version>>8), byte(Version))
	buf = append(buf, key...)
	buf = append(buf, stableID...)
	h := sha512.Sum512(buf)
	in := make([]byte, sha512.Size+len(key))
	copy(in[sha512.Size:], key)
	for range Iterations {
		copy(in, h[:])
		h = sha512.Sum512(in)
	}
	var out [fingerprintSize]byte
	copy(out[:], h[:fingerprintSize])
	return out
}

// Compute returns the safety number between the local identity (with its
// normalised handle) and the remote one.
func Compute(local keys.IdentityPublicKey, localHandle string, remote keys.IdentityPublicKey, remoteHandle string) Number {
	return Number{local: fingerprint(local, localHandle), remote: fingerprint(remote, remoteHandle)}
}

// digits renders 30 digits from the first 30 bytes of a fingerprint.
func digits(fp *[fingerprintSize]byte) string {
	var b strings.Builder
	b.Grow(30)
	for i := 0; i < 30; i += 5 {
		var v uint64
		for _, c := range fp[i : i+5] {
			v = v<<8 | uint64(c)
		}
		fmt.Fprintf(&b, "%05d", v%100000)
	}
	return b.String()
}

// Digits returns the 60 digits, the same on both sides.
func (n Number) Digits() string {
	l, r := digits(&n.local), digits(&n.remote)
	if l <= r {
		return l + r
	}
	return r + l
}

// String returns the digits in twelve groups of five.
func (n Number) String() string {
	d := n.Digits()
	var b strings.Builder
	for i := 0; i < len(d); i += 5 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d[i : i+5])
	}
	return b.String()
}

// MatchesDigits reports whether s (as read or typed by a person; spaces
// ignored) equals this safety number, in constant time.
func (n Number) MatchesDigits(s string) bool {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' {
			return -1
		}
		return r
	}, s)
	return subtle.ConstantTimeCompare([]byte(s), []byte(n.Digits())) == 1
}

// Equal reports whether two numbers are the same from the same side.
func (n Number) Equal(o Number) bool {
	return subtle.ConstantTimeCompare(n.local[:], o.local[:])&subtle.ConstantTimeCompare(n.remote[:], o.remote[:]) == 1
}

// QR returns the payload to show as a QR code.
func (n Number) QR() []byte {
	e := wire.NewEncoder(wire.TypeSafetyQR, 1+2*(4+fingerprintSize))
	e.Uint8(QRVersion)
	e.Bytes(n.local[:])
	e.Bytes(n.remote[:])
	return e.Finish()
}

// CompareQR checks a payload scanned from the other party's screen: their
// local fingerprint must be our remote one and vice versa. It returns nil,
// ErrMismatch, ErrQRVersion or a wire decoding error.
func (n Number) CompareQR(scanned []byte) error {
	d := wire.NewDecoder(scanned, wire.TypeSafetyQR)
	v := d.Uint8("qr version")
	if d.Err() == nil && v != QRVersion {
		return fmt.Errorf("qr version %d: %w", v, ErrQRVersion)
	}
	theirLocal := d.Fixed("local fingerprint", fingerprintSize)
	theirRemote := d.Fixed("remote fingerprint", fingerprintSize)
	if err := d.Finish(); err != nil {
		return fmt.Errorf("safety qr: %w", err)
	}
	ok := subtle.ConstantTimeCompare(theirLocal, n.remote[:]) & subtle.ConstantTimeCompare(theirRemote, n.local[:])
	if ok != 1 {
		return ErrMismatch
	}
	return nil
}
