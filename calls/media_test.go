package calls

import (
	"math"
	"math/cmplx"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sotto-im/sotto/calls/media"
)

// testMedia is a MediaFactory of files and synthetic patterns: a WAV as the
// microphone, memory as the speaker, a frame-numbered test pattern as the
// camera and a frame counter as the screen.
type testMedia struct {
	wav     string // microphone input; "" for none
	speaker pcmSink
	w, h    int // camera size; 0 for no camera
	fps     int
	frames  int

	written atomic.Int64 // video frames written to the screen

	mu      sync.Mutex
	camera  *media.TestPatternSource
	screen  *media.FrameCounterSink
	sources int // camera sources opened
}

func (f *testMedia) AudioSource(CallInfo) (media.AudioSource, error) {
	if f.wav == "" {
		return nil, nil
	}
	return media.NewWAVSource(f.wav)
}

func (f *testMedia) AudioSink(CallInfo) (media.AudioSink, error) { return &f.speaker, nil }

func (f *testMedia) VideoSource(CallInfo) (media.VideoSource, error) {
	if f.w == 0 {
		return nil, nil
	}
	src, err := media.NewTestPatternSource(f.w, f.h, f.fps, f.frames)
	f.mu.Lock()
	f.camera = src
	f.sources++
	f.mu.Unlock()
	return src, err
}

func (f *testMedia) VideoSink(CallInfo) (media.VideoSink, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.screen == nil {
		f.screen = media.NewFrameCounterSink(nil)
	}
	return &countingSink{VideoSink: f.screen, n: &f.written}, nil
}

// countingSink counts the frames written through it.
type countingSink struct {
	media.VideoSink
	n *atomic.Int64
}

func (s *countingSink) WriteVideo(f *media.VideoFrame) error {
	s.n.Add(1)
	return s.VideoSink.WriteVideo(f)
}

func (f *testMedia) screenCounts() media.FrameCounts {
	f.mu.Lock()
	s := f.screen
	f.mu.Unlock()
	if s == nil {
		return media.FrameCounts{}
	}
	return s.Counts()
}

// pcmSink keeps everything played.
type pcmSink struct {
	mu  sync.Mutex
	pcm []int16
}

func (s *pcmSink) WriteAudio(frame []int16) error {
	s.mu.Lock()
	s.pcm = append(s.pcm, frame...)
	s.mu.Unlock()
	return nil
}

func (s *pcmSink) Close() error { return nil }

func (s *pcmSink) samples() []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int16(nil), s.pcm...)
}

// bestCorrelation returns the largest normalised cross-correlation of y
// against x over all lags of y behind x up to maxLag samples, and that lag.
//
//go:norace
func bestCorrelation(x, y []int16, maxLag int) (float64, int) {
	size := 1
	for size < len(x)+len(y) {
		size <<= 1
	}
	a, b := make([]complex128, size), make([]complex128, size)
	for i, v := range x {
		a[i] = complex(float64(v), 0)
	}
	for i, v := range y {
		b[i] = complex(float64(v), 0)
	}
	fft(a, false)
	fft(b, false)
	for i := range a {
		a[i] = b[i] * cmplx.Conj(a[i])
	}
	fft(a, true)
	var ex float64
	for _, v := range x {
		ex += float64(v) * float64(v)
	}
	// cum[i] is the energy of y[:i], so each lag's window energy is O(1).
	cum := make([]float64, len(y)+1)
	for i, v := range y {
		cum[i+1] = cum[i] + float64(v)*float64(v)
	}
	best, lag := -1.0, 0
	for l := 0; l <= maxLag && l < len(y); l++ {
		ey := cum[min(len(y), l+len(x))] - cum[l]
		if ey == 0 {
			continue
		}
		if c := real(a[l]) / float64(size) / math.Sqrt(ex*ey); c > best {
			best, lag = c, l
		}
	}
	return best, lag
}

// fft is an in-place radix-2 FFT (len(a) a power of two).
//
//go:norace
func fft(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for length := 2; length <= n; length <<= 1 {
		ang := 2 * math.Pi / float64(length)
		if !inverse {
			ang = -ang
		}
		wl := cmplx.Rect(1, ang)
		for i := 0; i < n; i += length {
			w := complex(1, 0)
			for k := 0; k < length/2; k++ {
				u, v := a[i+k], a[i+k+length/2]*w
				a[i+k], a[i+k+length/2] = u+v, u-v
				w *= wl
			}
		}
	}
}

// segmentLag finds where segment xs (starting at start in the sent signal)
// best matches y, within slack of lag.
//
//go:norace
func segmentLag(xs, y []int16, start, lag, slack int) (best float64, bestLag int, ok bool) {
	from := max(0, start+lag-slack)
	to := min(len(y), start+lag+slack+len(xs))
	if to-from < len(xs) {
		return 0, 0, false
	}
	best, off := bestCorrelation(xs, y[from:to], to-from-len(xs))
	return best, from + off - start, true
}

// alignedCorrelation compares what was played (y) with what was sent (x)
// the way a listener would: a playout buffer may conceal a frame or drop
// one to cut delay, which shifts everything after it, so each 50 ms
// segment of x is aligned on its own (within ±30 ms of the previous
// segment's lag, after a global search; ±250 ms when that matches poorly,
// as after a burst of underruns) and the segments' correlations are
// averaged weighted by their energy. Silent segments carry no weight.
//
//go:norace
func alignedCorrelation(x, y []int16) (float64, time.Duration) {
	const wideSlack = media.SampleRate / 4 // 250 ms
	_, lag := bestCorrelation(x, y, media.SampleRate)
	const seg, slack = media.SampleRate / 20, media.SampleRate * 3 / 100
	var sum, weight float64
	for start := 0; start+seg <= len(x); start += seg {
		xs := x[start : start+seg]
		var ex float64
		for _, v := range xs {
			ex += float64(v) * float64(v)
		}
		if ex < float64(seg)*100*100 { // quieter than −50 dBFS: a pause
			continue
		}
		best, bestLag, ok := segmentLag(xs, y, start, lag, slack)
		if !ok {
			break
		}
		if best < 0.8 {
			// A burst of concealment (an underrun when the machine was
			// starved) shifts playout by more than the slack at once:
			// look wider before judging the segment.
			if b, l, ok := segmentLag(xs, y, start, lag, wideSlack); ok && b > best {
				best, bestLag = b, l
			}
		}
		lag = bestLag
		sum += best * ex
		weight += ex
	}
	if weight == 0 {
		return 0, 0
	}
	return sum / weight, time.Duration(lag) * time.Second / media.SampleRate
}

// TestVoiceCall: speech in on both sides (WAV files), what each side plays
// matches what the other sent.
func TestVoiceCall(t *testing.T) {
	wav, input := speechWAV(t, "Hello Bob, this call is end to end encrypted.")
	seconds := float64(len(input)) / media.SampleRate
	am, bm := &testMedia{wav: wav}, &testMedia{wav: wav}
	n := newNetwork(t)
	alice := n.add("alice", func(c *Config) { c.Media = am })
	bob := n.add("bob", func(c *Config) { c.Media = bm })
	id := connect(t, alice, bob, false)
	time.Sleep(time.Duration(seconds*float64(time.Second)) + 500*time.Millisecond)
	stats := map[string]CallStats{}
	for name, mgr := range map[string]*Manager{"alice": alice.m, "bob": bob.m} {
		st, err := mgr.Stats(id)
		if err != nil {
			t.Fatal(err)
		}
		stats[name] = st
	}
	if err := alice.m.Hangup(id); err != nil {
		t.Fatal(err)
	}
	bob.waitEnd(t)
	for name, m := range map[string]*testMedia{"alice": am, "bob": bm} {
		st := stats[name]
		got := m.speaker.samples()
		got = got[:min(len(got), len(input)+media.SampleRate/2)]
		start := time.Now()
		corr, lag := alignedCorrelation(input, got)
		t.Logf("%s: correlation %.3f (final lag %v, computed in %v); receiver %+v", name, corr, lag, time.Since(start), st.Audio)
		if corr < 0.9 {
			t.Errorf("%s: correlation %.3f with what was sent, want ≥ 0.9", name, corr)
		}
		if st.FirstAudioPlayed.IsZero() || st.AudioFramesSent == 0 {
			t.Errorf("%s stats: %+v", name, st)
		}
	}
}

// TestVideoCall: both cameras on (frame-numbered test patterns); each side
// decodes at least 95% of the other's frames.
func TestVideoCall(t *testing.T) {
	const frames = 45
	am := &testMedia{w: 320, h: 240, fps: 30, frames: frames}
	bm := &testMedia{w: 320, h: 240, fps: 30, frames: frames}
	n := newNetwork(t)
	alice := n.add("alice", func(c *Config) { c.Media = am })
	bob := n.add("bob", func(c *Config) { c.Media = bm })
	id := connect(t, alice, bob, true)
	deadline := time.Now().Add(waitLong)
	for _, p := range []struct {
		name string
		m    *testMedia
	}{{"alice", am}, {"bob", bm}} {
		for p.m.screenCounts().Distinct < frames && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		fc := p.m.screenCounts()
		t.Logf("%s decoded %d of %d frames", p.name, fc.Distinct, frames)
		if fc.Distinct < frames*95/100 {
			t.Errorf("%s: %d of %d video frames, want ≥ 95%%", p.name, fc.Distinct, frames)
		}
	}
	if err := bob.m.Hangup(id); err != nil {
		t.Fatal(err)
	}
	alice.waitEnd(t)
}
