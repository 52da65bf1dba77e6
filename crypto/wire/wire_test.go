package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	e := NewEncoder(TypeBundle, 0)
	e.Uint8(7)
	e.Uint32(0xdeadbeef)
	e.Int64(-5)
	e.Bool(true)
	e.Bytes([]byte("hello"))
	e.Bytes(nil)
	e.Bytes(make([]byte, 32))
	b := e.Finish()

	d := NewDecoder(b, TypeBundle)
	if d.Uint8("a") != 7 || d.Uint32("b") != 0xdeadbeef || d.Int64("c") != -5 || !d.Bool("d") {
		t.Fatal("integers do not round-trip")
	}
	if string(d.Bytes("e", 5)) != "hello" {
		t.Fatal("bytes do not round-trip")
	}
	if v := d.Bytes("f", 0); v == nil || len(v) != 0 {
		t.Fatal("empty field should decode to an empty, non-nil slice")
	}
	if len(d.Fixed("g", 32)) != 32 {
		t.Fatal("fixed")
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
	if typ, err := Peek(b); err != nil || typ != TypeBundle {
		t.Fatalf("Peek = %v, %v", typ, err)
	}
}

func TestDecoderErrors(t *testing.T) {
	e := NewEncoder(TypeRatchetMessage, 0)
	e.Bytes([]byte("abcdef"))
	good := e.Finish()

	cases := []struct {
		name string
		in   []byte
		read func(*Decoder)
		want error
	}{
		{"empty", nil, func(d *Decoder) {}, ErrTruncated},
		{"version", append([]byte{2}, good[1:]...), func(d *Decoder) {}, ErrUnknownVersion},
		{"type", append([]byte{1, byte(TypeBundle)}, good[2:]...), func(d *Decoder) {}, ErrWrongType},
		{"oversize", good, func(d *Decoder) { d.Bytes("x", 5) }, ErrOversize},
		{"fixed too long", good, func(d *Decoder) { d.Fixed("x", 5) }, ErrOversize},
		{"fixed too short", good, func(d *Decoder) { d.Fixed("x", 7) }, ErrBadLength},
		{"truncated", good[:len(good)-1], func(d *Decoder) { d.Bytes("x", 10) }, ErrTruncated},
		{"trailing", append(bytes.Clone(good), 0), func(d *Decoder) { d.Bytes("x", 10) }, ErrTrailingBytes},
		{"bool", []byte{1, byte(TypeRatchetMessage), 2}, func(d *Decoder) { d.Bool("x") }, ErrInvalidValue},
		{"huge", make([]byte, MaxMessageSize+1), func(d *Decoder) {}, ErrOversize},
	}
	for _, c := range cases {
		d := NewDecoder(c.in, TypeRatchetMessage)
		c.read(d)
		if err := d.Finish(); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// Errors are sticky: later reads return zero values.
	d := NewDecoder(good, TypeRatchetMessage)
	d.Fixed("x", 1)
	if d.Uint32("y") != 0 || d.Bytes("z", 100) != nil || d.Err() == nil {
		t.Fatal("decoder kept reading after an error")
	}
	if _, err := Peek([]byte{1, 200}); !errors.Is(err, ErrWrongType) {
		t.Fatalf("Peek unknown type: %v", err)
	}
	if !TypeContent.Known() || TypeContent.String() != "content" || !TypeKTLookup.Known() || Type(20).Known() {
		t.Fatal("TypeContent")
	}
	if Type(200).String() != "type(200)" || TypeBundle.String() != "bundle" {
		t.Fatal("Type.String")
	}
}

func FuzzDecoder(f *testing.F) {
	e := NewEncoder(TypeBundle, 0)
	e.Uint32(1)
	e.Bytes([]byte("x"))
	f.Add(e.Finish())
	f.Add([]byte{})
	f.Add([]byte{1, 4, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Peek(b)
		d := NewDecoder(b, TypeBundle)
		_ = d.Uint32("n")
		v := d.Bytes("v", 64)
		if len(v) > 64 {
			t.Fatal("field over its maximum")
		}
		if d.Finish() == nil && d.Remaining() != 0 {
			t.Fatal("Finish accepted trailing bytes")
		}
	})
}
