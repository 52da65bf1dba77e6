package media

import (
	"testing"
	"time"

	"github.com/sotto-im/sotto/calls/media/internal/vp8"
)

func TestFitWithin(t *testing.T) {
	for _, tc := range []struct{ w, h, mw, mh, ww, wh int }{
		{1280, 720, 0, 0, 1280, 720},
		{1280, 720, 640, 360, 640, 360},
		{1280, 720, 320, 180, 320, 180},
		{640, 480, 640, 360, 480, 360},
		{640, 480, 1280, 720, 640, 480},
		{641, 481, 321, 0, 320, 240},
	} {
		if w, h := fitWithin(tc.w, tc.h, tc.mw, tc.mh); w != tc.ww || h != tc.wh {
			t.Errorf("fitWithin(%d,%d,%d,%d) = %d,%d; want %d,%d", tc.w, tc.h, tc.mw, tc.mh, w, h, tc.ww, tc.wh)
		}
	}
}

// The number drawn into the picture must survive VP8 at a low bitrate and every resolution step.
func TestPatternSurvivesVP8AndScaling(t *testing.T) {
	enc, err := vp8.NewEncoder(150_000)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	t0 := time.Now()
	// 720p drawn natively, 720p scaled to 360p, 360p scaled to 180p.
	steps := []struct{ dw, dh, w, h int }{{1280, 720, 1280, 720}, {1280, 720, 640, 360}, {640, 360, 320, 180}}
	for i := 0; i < 9; i++ {
		n := uint32(1_000_000 + i*7919)
		s := steps[i/3]
		f := scaleFrame(DrawTestPattern(s.dw, s.dh, n), s.w, s.h)
		data, _, err := enc.Encode(&vp8.Image{Width: f.Width, Height: f.Height, Y: f.Y, U: f.U, V: f.V}, t0.Add(time.Duration(i)*33*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		im, err := dec.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadTestPattern(&VideoFrame{Width: im.Width, Height: im.Height, Y: im.Y, U: im.U, V: im.V})
		if err != nil || got != n {
			t.Fatalf("frame %d at %dx%d: read %d (%v), want %d", i, s.w, s.h, got, err, n)
		}
	}
	// A picture without the pattern is rejected, not misread.
	if _, err := ReadTestPattern(NewVideoFrame(320, 240)); err == nil {
		t.Fatal("a black frame read as a number")
	}
	white := NewVideoFrame(320, 240)
	for i := range white.Y {
		white.Y[i] = 235
	}
	if _, err := ReadTestPattern(white); err == nil {
		t.Fatal("a white frame read as a number")
	}
}

func TestScaleFrameAverages(t *testing.T) {
	f := NewVideoFrame(4, 2)
	copy(f.Y, []byte{0, 100, 200, 40, 100, 100, 0, 0})
	g := scaleFrame(f, 2, 2)
	if g.Y[0] != 50 || g.Y[1] != 120 || g.Y[2] != 100 || g.Y[3] != 0 {
		t.Fatalf("scaled luma %v", g.Y)
	}
	if up := scaleFrame(g, 4, 4); up.Y[0] != 50 || up.Y[15] != 0 {
		t.Fatalf("upscaled luma %v", up.Y)
	}
}

func FuzzReadTestPattern(f *testing.F) {
	f.Add(uint16(64), uint16(48), []byte{1, 2, 3})
	f.Add(uint16(3), uint16(1), []byte{})
	f.Fuzz(func(t *testing.T, w, h uint16, fill []byte) {
		fw, fh := int(w%512)+1, int(h%512)+1
		fr := NewVideoFrame(fw, fh)
		for i := range fr.Y {
			if len(fill) > 0 {
				fr.Y[i] = fill[i%len(fill)]
			}
		}
		_, _ = ReadTestPattern(fr)
	})
}
