package vp8

import (
	"testing"
	"time"
)

func gradient(w, h, shift int) *Image {
	cw, ch := (w+1)/2, (h+1)/2
	im := &Image{Width: w, Height: h, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			im.Y[y*w+x] = byte(x + y + shift)
		}
	}
	for i := range im.U {
		im.U[i], im.V[i] = 128, 100
	}
	return im
}

func TestEncodeDecodeResizeKeyframe(t *testing.T) {
	enc, err := NewEncoder(500_000)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	t0 := time.Now()
	sizes := []struct{ w, h int }{{320, 240}, {320, 240}, {320, 240}, {160, 90}, {160, 90}}
	for i, s := range sizes {
		if i == 2 {
			enc.ForceKeyframe()
			if err := enc.SetBitrate(200_000); err != nil {
				t.Fatal(err)
			}
		}
		frame, key, err := enc.Encode(gradient(s.w, s.h, i*3), t0.Add(time.Duration(i)*33*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		wantKey := i == 0 || i == 2 || i == 3
		if key != wantKey {
			t.Fatalf("frame %d: keyframe=%v, want %v", i, key, wantKey)
		}
		im, err := dec.Decode(frame)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if im.Width != s.w || im.Height != s.h {
			t.Fatalf("frame %d: decoded %dx%d, want %dx%d", i, im.Width, im.Height, s.w, s.h)
		}
		if d := int(im.Y[10*s.w+10]) - (20 + i*3); d < -8 || d > 8 {
			t.Fatalf("frame %d: luma %d, want about %d", i, im.Y[10*s.w+10], 20+i*3)
		}
	}
	if _, _, err := enc.Encode(&Image{Width: 10, Height: 10}, t0); err == nil {
		t.Fatal("short planes accepted")
	}
}

func FuzzDecode(f *testing.F) {
	enc, _ := NewEncoder(300_000)
	frame, _, _ := enc.Encode(gradient(64, 48, 0), time.Now())
	f.Add(append([]byte(nil), frame...))
	f.Add([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x00, 0x30, 0x00})
	enc.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		_, _ = dec.Decode(data)
	})
}
