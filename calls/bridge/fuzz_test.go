package bridge

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

func FuzzParseHello(f *testing.F) {
	for _, s := range []string{
		`{"token":"ab","call":"01","stream":"remote"}`,
		`{"token":"ab","call":"0123456789abcdef0123456789abcdef","stream":"local","format":"jpeg"}`,
		`{"token":"","call":"01","stream":"remote"}`,
		`{"token":"ab","call":"XYZ","stream":"remote"}`,
		`{"token":1}`, `[]`, `null`, ``, `{"token":"ab","call":"01","stream":"remote","format":"i420","extra":[1,2,3]}`,
		"{\"token\":\"\u0000\",\"call\":\"01\",\"stream\":\"remote\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseHello(data)
		if err != nil {
			if !errors.Is(err, ErrBadHello) {
				t.Fatalf("error %v is not ErrBadHello", err)
			}
			return
		}
		if h.Token == "" || !validCallID(h.Call) || (h.Stream != StreamLocal && h.Stream != StreamRemote) ||
			(h.Format != FormatI420 && h.Format != FormatJPEG) {
			t.Fatalf("accepted an invalid hello: %+v", h)
		}
	})
}

func FuzzParseFrameHeader(f *testing.F) {
	good, _ := (&frame{width: 4, height: 2, number: 5, planes: make([]byte, 8+2+2)}).encode(FormatI420)
	f.Add(good)
	f.Add(good[:headerLen])
	bad := append([]byte{}, good...)
	binary.LittleEndian.PutUint64(bad[12:], math.Float64bits(math.NaN()))
	f.Add(bad)
	f.Add(append([]byte{1, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0xff, 0xd8))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, p, err := parseFrameHeader(msg)
		if err != nil {
			return
		}
		if h.Width <= 0 || h.Height <= 0 || h.Width > maxDimension || h.Height > maxDimension {
			t.Fatalf("accepted size %dx%d", h.Width, h.Height)
		}
		if h.Format == FormatI420 {
			cw, ch := chromaSize(h.Width, h.Height)
			if len(p) != h.Width*h.Height+2*cw*ch {
				t.Fatalf("accepted an i420 payload of %d bytes for %dx%d", len(p), h.Width, h.Height)
			}
		}
	})
}
