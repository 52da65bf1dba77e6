package media

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWAVRoundTripAndFormatErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.wav")
	pcm := make([]int16, 2*FrameSamples+100)
	for i := range pcm {
		pcm[i] = int16(i*37 - 20000)
	}
	if err := WriteWAV(path, pcm); err != nil {
		t.Fatal(err)
	}
	src, err := NewWAVSource(path, WAVUnpaced())
	if err != nil {
		t.Fatal(err)
	}
	var got []int16
	frame := make([]int16, FrameSamples)
	for {
		err := src.ReadAudio(frame)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, frame...)
	}
	src.Close()
	if len(got) != 3*FrameSamples {
		t.Fatalf("read %d samples, want 3 padded frames", len(got))
	}
	for i, v := range pcm {
		if got[i] != v {
			t.Fatalf("sample %d: %d, want %d", i, got[i], v)
		}
	}
	for _, v := range got[len(pcm):] {
		if v != 0 {
			t.Fatal("last frame not padded with silence")
		}
	}

	// 44.1 kHz stereo is refused with the sox hint.
	bad := filepath.Join(dir, "bad.wav")
	raw, _ := os.ReadFile(path)
	binary.LittleEndian.PutUint16(raw[22:], 2)
	binary.LittleEndian.PutUint32(raw[24:], 44100)
	os.WriteFile(bad, raw, 0o600)
	if _, err := NewWAVSource(bad); !errors.Is(err, ErrFormat) {
		t.Fatalf("stereo 44.1 kHz: %v, want ErrFormat", err)
	}
}

func FuzzWAVHeader(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.wav")
	if err := WriteWAV(path, []int16{1, 2, 3}); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.wav")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = ReadWAV(p)
	})
}

func TestY4MRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.y4m")
	sink, err := NewY4MSink(path, 30)
	if err != nil {
		t.Fatal(err)
	}
	for n := uint32(0); n < 3; n++ {
		if err := sink.WriteVideo(DrawTestPattern(64, 48, n)); err != nil {
			t.Fatal(err)
		}
	}
	// A frame of another size is scaled to the file's size.
	if err := sink.WriteVideo(DrawTestPattern(128, 96, 3)); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := NewY4MSource(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if w, h := src.Size(); w != 64 || h != 48 {
		t.Fatalf("size %dx%d", w, h)
	}
	for n := uint32(0); n < 4; n++ {
		f, err := src.ReadVideo()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadTestPattern(f)
		if err != nil || got != n {
			t.Fatalf("frame %d read back as %d (%v)", n, got, err)
		}
	}
	if _, err := src.ReadVideo(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

func FuzzY4M(f *testing.F) {
	f.Add([]byte("YUV4MPEG2 W4 H2 F30:1 Ip C420jpeg\nFRAME\n0123456789ab"))
	f.Add([]byte("YUV4MPEG2 W4096 H4096 F1:0\nFRAME\n"))
	f.Add([]byte("YUV4MPEG2 W2 H2 C444\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.y4m")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := NewY4MSource(p, false)
		if err != nil {
			return
		}
		defer s.Close()
		s.pace = nil
		for range 3 {
			if _, err := s.ReadVideo(); err != nil {
				return
			}
		}
	})
}
