package media

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sotto-im/sotto/calls/media/internal/opus"
)

// needTools skips the test when an external tool is missing, or fails it when
// SOTTO_TEST_REQUIRE_SERVICES=1 (how make test runs).
func needTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
				t.Fatalf("%s is required (SOTTO_TEST_REQUIRE_SERVICES=1) but not installed: %v", tool, err)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

// speechWAV synthesises text with espeak-ng and converts it with sox to 48 kHz mono 16-bit.
func speechWAV(t testing.TB, text string) string {
	t.Helper()
	needTools(t, "espeak-ng", "sox")
	dir := t.TempDir()
	raw, in := filepath.Join(dir, "s.wav"), filepath.Join(dir, "in.wav")
	if out, err := exec.Command("espeak-ng", "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, out)
	}
	if out, err := exec.Command("sox", raw, "-r", "48000", "-c", "1", "-b", "16", in).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v: %s", err, out)
	}
	return in
}

// localCodec runs pcm through the same Opus settings as AudioSender and returns the decoded audio,
// frame by frame (the final partial frame padded with silence, as WAVSource does).
func localCodec(t testing.TB, pcm []int16) []int16 {
	t.Helper()
	enc, err := opus.NewEncoder(opus.EncoderConfig{Bitrate: DefaultAudioBitrate, FEC: true, DTX: true, ExpectedLossPc: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := opus.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var out []int16
	frame := make([]int16, FrameSamples)
	buf := make([]byte, opus.MaxPacket)
	for i := 0; i < len(pcm); i += FrameSamples {
		clear(frame)
		copy(frame, pcm[i:])
		pkt, err := enc.Encode(frame, buf)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]int16, FrameSamples)
		if _, err := dec.Decode(pkt, dst); err != nil {
			t.Fatal(err)
		}
		out = append(out, dst...)
	}
	return out
}

// alignSearch is the order alignFrames tries other offsets in: nearest first.
var alignSearch = []int{1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8, 9, -9, 10, -10}

// alignFrames lines got up with want frame by frame. The receiver writes whole 20 ms frames, so got
// is want shifted by whole frames, plus a concealed frame inserted at each underrun and a frame
// missing at each delay cut. It follows that drifting shift (a frame either way, searched near the
// last one) and returns got rearranged to want's timeline and how many frames matched bit for bit.
func alignFrames(want, got []int16) (aligned []int16, identical, total int) {
	frame := func(s []int16, i int) []int16 {
		if i < 0 || (i+1)*FrameSamples > len(s) {
			return nil
		}
		return s[i*FrameSamples : (i+1)*FrameSamples]
	}
	equal := func(a, b []int16) bool {
		if a == nil || b == nil {
			return false
		}
		for k := range a {
			if a[k] != b[k] {
				return false
			}
		}
		return true
	}
	silent := func(a []int16) bool {
		for _, v := range a {
			if v != 0 {
				return false
			}
		}
		return true
	}
	shift := 0
	aligned = make([]int16, 0, len(want))
	for i := 0; (i+1)*FrameSamples <= len(want); i++ {
		w := frame(want, i)
		total++
		found := false
		if !silent(w) {
			if equal(w, frame(got, i+shift)) {
				found = true
			} else {
				// Exact search first, then the best correlation (after a concealed frame the decoder
				// state differs for a while, so frames are close but not identical).
				bestD, bestC := 0, correlation(w, frame(got, i+shift))
				// Both ways: a frame the receiver shed (decoded, not played, to cut
				// excess delay in a quiet stretch) moves the rest one frame earlier,
				// and a frame whose best correlation moved the shift the wrong way
				// must be able to come back.
				for _, d := range alignSearch {
					g := frame(got, i+shift+d)
					if equal(w, g) {
						bestD, found = d, true
						break
					}
					if c := correlation(w, g); c > bestC+0.1 {
						bestD, bestC = d, c
					}
				}
				shift += bestD
			}
		}
		g := frame(got, i+shift)
		if found {
			identical++
		}
		if g == nil {
			g = make([]int16, FrameSamples)
		}
		aligned = append(aligned, g...)
	}
	return aligned, identical, total
}

// correlation is the normalised cross-correlation of two equally long signals.
func correlation(a, b []int16) float64 {
	var xy, xx, yy float64
	for i := range min(len(a), len(b)) {
		x, y := float64(a[i]), float64(b[i])
		xy += x * y
		xx += x * x
		yy += y * y
	}
	if xx == 0 || yy == 0 {
		return 0
	}
	return xy / math.Sqrt(xx*yy)
}
