package wire

import "encoding/binary"

// Encoder appends fields to a buffer that starts with the version and type
// bytes. Its zero value is not usable; call NewEncoder.
type Encoder struct {
	buf []byte
}

// NewEncoder starts an object of type t. sizeHint preallocates capacity.
func NewEncoder(t Type, sizeHint int) *Encoder {
	buf := make([]byte, 2, 2+sizeHint)
	buf[0] = Version
	buf[1] = byte(t)
	return &Encoder{buf: buf}
}

// AppendHeader appends the version and type bytes to dst. It is the
// allocation-free counterpart of NewEncoder for hot paths.
func AppendHeader(dst []byte, t Type) []byte {
	return append(dst, Version, byte(t))
}

// AppendBytes appends a length-prefixed byte string to dst.
func AppendBytes(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// Uint8 appends one byte.
func (e *Encoder) Uint8(v uint8) { e.buf = append(e.buf, v) }

// Uint32 appends a big-endian uint32.
func (e *Encoder) Uint32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

// Uint64 appends a big-endian uint64.
func (e *Encoder) Uint64(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

// Int64 appends a big-endian two's-complement int64.
func (e *Encoder) Int64(v int64) { e.Uint64(uint64(v)) }

// Bytes appends a length-prefixed byte string.
func (e *Encoder) Bytes(b []byte) { e.buf = AppendBytes(e.buf, b) }

// Bool appends 1 or 0.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Uint8(1)
	} else {
		e.Uint8(0)
	}
}

// Finish returns the encoded object. The Encoder must not be used afterwards.
func (e *Encoder) Finish() []byte {
	b := e.buf
	e.buf = nil
	return b
}
