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

// noise is a gradient with noise on it: its keyframe size is set by the rate control.
func noise(w, h int, seed uint32) *Image {
	im := gradient(w, h, int(seed))
	for i := range im.Y {
		seed = seed*1664525 + 1013904223
		im.Y[i] += byte(seed>>24) & 31
	}
	return im
}

func TestSmallKeyframe(t *testing.T) {
	// The same stream, once with a plain forced keyframe and once with a small one, at frame 30.
	keySize := func(small bool) int {
		enc, err := NewEncoder(250_000)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		t0 := time.Now()
		var size int
		for i := range 32 {
			if i == 30 {
				if small {
					enc.ForceSmallKeyframe()
				} else {
					enc.ForceKeyframe()
				}
			}
			frame, key, err := enc.Encode(noise(320, 180, uint32(i)), t0.Add(time.Duration(i)*33*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if i == 30 {
				if !key {
					t.Fatal("frame 30 is not a keyframe")
				}
				size = len(frame)
			}
		}
		return size
	}
	plain, small := keySize(false), keySize(true)
	t.Logf("keyframe at 250 kbit/s, 320x180: %d bytes, small: %d bytes", plain, small)
	if small*3 > plain*2 {
		t.Fatalf("small keyframe %d bytes, plain %d: want at most two thirds", small, plain)
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
