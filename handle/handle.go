package handle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Length bounds, in characters (bytes, since only ASCII survives Parse).
const (
	MinLen = 3
	MaxLen = 32
	// maxInput bounds the untrusted input Parse looks at, before
	// normalisation, so a huge string costs nothing.
	maxInput = 4 * MaxLen
)

// Errors returned by Parse. Callers can branch on them with errors.Is; they
// never include the offending input.
var (
	ErrEmpty    = errors.New("handle: empty")
	ErrTooShort = errors.New("handle: shorter than 3 characters")
	ErrTooLong  = errors.New("handle: longer than 32 characters")
	ErrInvalid  = errors.New("handle: only a-z, 0-9 and _ are allowed")
)

// Handle is a validated, normalised handle. The zero value is not a valid
// handle; IsZero reports it.
type Handle struct {
	s string
}

// Parse validates and normalises s: an optional leading '@' is dropped, the
// rest is NFKC-normalised and lowercased and must then be 3–32 characters of
// a–z, 0–9 and '_'.
func Parse(s string) (Handle, error) {
	if s == "" {
		return Handle{}, ErrEmpty
	}
	if len(s) > maxInput {
		return Handle{}, ErrTooLong
	}
	if !utf8.ValidString(s) {
		return Handle{}, ErrInvalid
	}
	s = strings.TrimPrefix(s, "@")
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	// Lowercasing can denormalise (rare); normalise once more so the result
	// is a fixed point of Parse.
	s = norm.NFKC.String(s)
	if s == "" {
		return Handle{}, ErrEmpty
	}
	for i := 0; i < len(s); i++ {
		if !allowed(s[i]) {
			return Handle{}, ErrInvalid
		}
	}
	switch {
	case len(s) < MinLen:
		return Handle{}, ErrTooShort
	case len(s) > MaxLen:
		return Handle{}, ErrTooLong
	}
	return Handle{s: s}, nil
}

// MustParse is Parse for constants in code and tests; it panics on an
// invalid handle (a programmer error).
func MustParse(s string) Handle {
	h, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("handle.MustParse: %v", err))
	}
	return h
}

func allowed(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// String returns the normalised handle without the '@'.
func (h Handle) String() string { return h.s }

// Display returns the handle as shown to people: "@alice".
func (h Handle) Display() string {
	if h.s == "" {
		return ""
	}
	return "@" + h.s
}

// IsZero reports whether h is the zero (invalid) Handle.
func (h Handle) IsZero() bool { return h.s == "" }

// MarshalText implements encoding.TextMarshaler. The zero Handle is an error.
func (h Handle) MarshalText() ([]byte, error) {
	if h.s == "" {
		return nil, ErrEmpty
	}
	return []byte(h.s), nil
}

// UnmarshalText implements encoding.TextUnmarshaler via Parse.
func (h *Handle) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// Hash is the form the relay stores and looks up: SHA-256 of the domain
// separator "sotto-handle-v1" followed by the normalised handle.
type Hash [32]byte

// hashPrefix is the domain separator of Hash; skeletonPrefix that of
// SkeletonHash.
const (
	hashPrefix     = "sotto-handle-v1"
	skeletonPrefix = "sotto-handle-skeleton-v1"
)

// Hash returns SHA-256("sotto-handle-v1" ‖ normalised). It panics on the
// zero Handle (a programmer error: there is nothing to hash).
func (h Handle) Hash() Hash {
	if h.s == "" {
		panic("handle: Hash of zero Handle")
	}
	d := sha256.New()
	d.Write([]byte(hashPrefix))
	d.Write([]byte(h.s))
	var out Hash
	d.Sum(out[:0])
	return out
}

// String returns the hash as lowercase hex (64 characters).
func (x Hash) String() string { return hex.EncodeToString(x[:]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (x Hash) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (64 hex characters).
func (x *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*x = p
	return nil
}

// ErrBadHash is returned by ParseHash for anything but 64 hex characters.
var ErrBadHash = errors.New("handle: hash must be 64 hex characters")

// ParseHash parses the hex form of a Hash.
func ParseHash(s string) (Hash, error) {
	var x Hash
	if len(s) != 2*len(x) {
		return Hash{}, ErrBadHash
	}
	if _, err := hex.Decode(x[:], []byte(s)); err != nil {
		return Hash{}, ErrBadHash
	}
	return x, nil
}

// Skeleton returns the confusable-folded form of h: two handles with the
// same skeleton look alike to a person (for example "rn0bin" and "mobln")
// and a registry should allow only one of them. Underscores are dropped and
// the folds in the table below are applied left to right, two-character
// sequences first, until nothing changes.
func (h Handle) Skeleton() string {
	return skeleton(h.s)
}

// SkeletonHash is the hash a registry stores to refuse look-alikes without
// keeping the skeleton in clear: SHA-256("sotto-handle-skeleton-v1" ‖
// Skeleton()).
func (h Handle) SkeletonHash() Hash {
	if h.s == "" {
		panic("handle: SkeletonHash of zero Handle")
	}
	d := sha256.New()
	d.Write([]byte(skeletonPrefix))
	d.Write([]byte(skeleton(h.s)))
	var out Hash
	d.Sum(out[:0])
	return out
}

// folds lists the look-alike sequences within a–z 0–9 _, in the order they
// are tried at each position (two-character sequences first).
var folds = []struct{ from, to string }{
	{"rn", "m"},
	{"vv", "w"},
	{"cl", "d"},
	{"nn", "m"},
	{"_", ""},
	{"0", "o"},
	{"1", "l"},
	{"i", "l"},
	{"5", "s"},
	{"2", "z"},
	{"8", "b"},
	{"6", "b"},
	{"9", "g"},
	{"q", "g"},
	{"u", "v"},
}

func skeleton(s string) string {
	// Fold repeatedly until nothing changes, so that e.g. "r" + "n" produced
	// by an earlier fold is caught too. Each pass shortens or keeps the
	// string and only maps to a smaller alphabet, so this terminates.
	for range len(s) + 1 {
		next := foldOnce(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

func foldOnce(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		matched := false
		for _, f := range folds {
			if strings.HasPrefix(s[i:], f.from) {
				b.WriteString(f.to)
				i += len(f.from)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}
