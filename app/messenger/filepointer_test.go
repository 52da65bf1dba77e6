package messenger

import (
	"bytes"
	"testing"
	"time"
)

func TestFilePointerRoundTrip(t *testing.T) {
	p := &filePointer{Blobs: []string{"00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"},
		Expires: time.Unix(1_900_000_000, 0)}
	p.Key[0], p.Digest[31] = 7, 9
	b := p.marshal()
	q, err := parseFilePointer(b)
	if err != nil {
		t.Fatal(err)
	}
	if q.Key != p.Key || q.Digest != p.Digest || !q.Expires.Equal(p.Expires) || len(q.Blobs) != 2 || q.Blobs[1] != p.Blobs[1] {
		t.Fatalf("round trip: %+v", q)
	}
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(bytes.Clone(b), 0), append([]byte{2}, b[1:]...)} {
		if _, err := parseFilePointer(bad); err == nil {
			t.Fatalf("accepted %x", bad)
		}
	}
}

// FuzzParseFilePointer: stored pointer data never panics the decoder, and
// what decodes encodes back to the same bytes.
func FuzzParseFilePointer(f *testing.F) {
	p := &filePointer{Blobs: []string{"00112233445566778899aabbccddeeff"}, Expires: time.Unix(1_800_000_000, 0)}
	f.Add(p.marshal())
	f.Add([]byte{1})
	f.Add(make([]byte, 74))
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := parseFilePointer(b)
		if err != nil {
			return
		}
		if !bytes.Equal(q.marshal(), b) {
			t.Fatalf("re-encoding differs")
		}
	})
}
