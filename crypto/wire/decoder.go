package wire

import (
	"encoding/binary"
	"fmt"
)

// Decoder reads fields written by Encoder. Errors are sticky: after the first
// failure every read returns a zero value and Finish reports that failure, so
// callers can read all fields and check once.
//
// Byte strings returned by Decoder alias the input; callers that keep them
// beyond the input's lifetime must copy.
type Decoder struct {
	b   []byte
	off int
	err error
}

// NewDecoder checks the version and type bytes of b and positions the
// decoder at the first field.
func NewDecoder(b []byte, t Type) *Decoder {
	// Small enough to inline, so a Decoder that does not escape its caller
	// stays on the stack.
	d := &Decoder{b: b}
	d.start(t)
	return d
}

func (d *Decoder) start(t Type) {
	b := d.b
	switch {
	case len(b) > MaxMessageSize:
		d.err = fmt.Errorf("%v of %d bytes: %w", t, len(b), ErrOversize)
	case len(b) < 2:
		d.err = fmt.Errorf("%v header: %w", t, ErrTruncated)
	case b[0] != Version:
		d.err = fmt.Errorf("%v version %d: %w", t, b[0], ErrUnknownVersion)
	case Type(b[1]) != t:
		d.err = fmt.Errorf("want %v, got %v: %w", t, Type(b[1]), ErrWrongType)
	default:
		d.off = 2
	}
}

// Err returns the first error encountered, if any.
func (d *Decoder) Err() error { return d.err }

// Fail records err (wrapped with field) if no error has been recorded yet.
// Callers use it to report semantic failures with the same stickiness.
func (d *Decoder) Fail(field string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %w", field, err)
	}
}

func (d *Decoder) take(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.off < n {
		d.err = fmt.Errorf("%s: %w", field, ErrTruncated)
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

// Uint8 reads one byte.
func (d *Decoder) Uint8(field string) uint8 {
	v := d.take(field, 1)
	if v == nil {
		return 0
	}
	return v[0]
}

// Uint32 reads a big-endian uint32.
func (d *Decoder) Uint32(field string) uint32 {
	v := d.take(field, 4)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

// Uint64 reads a big-endian uint64.
func (d *Decoder) Uint64(field string) uint64 {
	v := d.take(field, 8)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// Int64 reads a big-endian two's-complement int64.
func (d *Decoder) Int64(field string) int64 { return int64(d.Uint64(field)) }

// Bool reads a byte that must be 0 or 1.
func (d *Decoder) Bool(field string) bool {
	v := d.Uint8(field)
	if d.err == nil && v > 1 {
		d.err = fmt.Errorf("%s: %w", field, ErrInvalidValue)
	}
	return v == 1
}

// Bytes reads a length-prefixed byte string of at most max bytes.
func (d *Decoder) Bytes(field string, max int) []byte {
	n := d.Uint32(field)
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		d.err = fmt.Errorf("%s: %d > %d bytes: %w", field, n, max, ErrOversize)
		return nil
	}
	v := d.take(field, int(n))
	if v == nil && d.err == nil {
		v = []byte{}
	}
	return v
}

// Fixed reads a length-prefixed byte string that must be exactly n bytes.
func (d *Decoder) Fixed(field string, n int) []byte {
	l := d.Uint32(field)
	if d.err != nil {
		return nil
	}
	if uint64(l) != uint64(n) {
		if uint64(l) > uint64(n) {
			d.err = fmt.Errorf("%s: %d bytes, want %d: %w", field, l, n, ErrOversize)
		} else {
			d.err = fmt.Errorf("%s: %d bytes, want %d: %w", field, l, n, ErrBadLength)
		}
		return nil
	}
	return d.take(field, n)
}

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.b) - d.off }

// Finish reports the first error, or ErrTrailingBytes if input is left over.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	if d.off != len(d.b) {
		return fmt.Errorf("%d bytes after last field: %w", len(d.b)-d.off, ErrTrailingBytes)
	}
	return nil
}
