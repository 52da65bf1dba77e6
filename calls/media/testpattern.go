package media

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"sync"
	"time"
)

// The test pattern carries its frame number in the picture itself, so it survives any codec and
// scaling: the top half is an 8 × 4 grid of black or white blocks, 24 bits of number then an 8-bit
// CRC, read back by sampling each block's centre. The bottom half moves, so the encoder works as it
// would on a camera.
const (
	patternCols    = 8
	patternRows    = 4
	patternNumBits = 24
)

// FrameClock remembers when each numbered frame was captured, so an in-process sink can compute
// capture → decoded latency from the number it reads out of the picture.
type FrameClock struct {
	mu sync.Mutex
	t  map[uint32]time.Time
}

// NewFrameClock returns an empty clock.
func NewFrameClock() *FrameClock { return &FrameClock{t: make(map[uint32]time.Time)} }

func (c *FrameClock) record(n uint32, t time.Time) {
	c.mu.Lock()
	c.t[n] = t
	c.mu.Unlock()
}

// Captured returns the capture time of frame n.
func (c *FrameClock) Captured(n uint32) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.t[n]
	return t, ok
}

// Count is how many frames were captured.
func (c *FrameClock) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.t)
}

// TestPatternSource draws frame-numbered pictures at a fixed rate.
type TestPatternSource struct {
	w, h   int
	pace   *pacer
	clock  *FrameClock
	mu     sync.Mutex
	n      uint32
	limit  uint32
	closed bool
}

// NewTestPatternSource makes a w × h source at fps frames per second. frames > 0 ends the source
// (io.EOF) after that many frames.
func NewTestPatternSource(w, h, fps, frames int) (*TestPatternSource, error) {
	if w < 16 || h < 16 || w%2 != 0 || h%2 != 0 || fps <= 0 || fps > 120 {
		return nil, fmt.Errorf("test pattern %dx%d at %d fps: need even sizes ≥ 16 and 1–120 fps", w, h, fps)
	}
	return &TestPatternSource{w: w, h: h, pace: newPacer(time.Second / time.Duration(fps)), clock: NewFrameClock(),
		limit: uint32(max(frames, 0))}, nil
}

// Clock is where the source records capture times (see FrameCounterSink).
func (s *TestPatternSource) Clock() *FrameClock { return s.clock }

// ReadVideo returns the next frame when it is due.
func (s *TestPatternSource) ReadVideo() (*VideoFrame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrStopped
	}
	if s.limit > 0 && s.n >= s.limit {
		return nil, errEOF
	}
	s.pace.wait()
	f := DrawTestPattern(s.w, s.h, s.n)
	f.Captured = time.Now()
	s.clock.record(f.Number, f.Captured)
	s.n++
	return f, nil
}

// Close stops the source.
func (s *TestPatternSource) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// crc8 checks the number; starting from a non-zero value means neither an all-black nor an
// all-white picture reads as valid.
func crc8(v uint32) byte {
	c := byte(0x5a)
	for i := 0; i < 3; i++ {
		c ^= byte(v >> (8 * i))
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
	}
	return c
}

func patternBits(n uint32) uint32 {
	n &= 1<<patternNumBits - 1
	return n<<8 | uint32(crc8(n))
}

// DrawTestPattern draws frame n (numbers wrap at 2^24).
func DrawTestPattern(w, h int, n uint32) *VideoFrame {
	f := NewVideoFrame(w, h)
	f.Number = n & (1<<patternNumBits - 1)
	code := patternBits(n)
	bw, bh := w/patternCols, h/2/patternRows
	for by := 0; by < patternRows; by++ {
		// Draw one row of blocks, then copy it down the block's height (rows are memcpy, which keeps
		// the source cheap under the race detector).
		first := f.Y[by*bh*w : by*bh*w+w]
		for bx := 0; bx < patternCols; bx++ {
			v := byte(16)
			if code>>(31-(by*patternCols+bx))&1 == 1 {
				v = 235
			}
			for i := bx * bw; i < (bx+1)*bw; i++ {
				first[i] = v
			}
		}
		for y := by*bh + 1; y < (by+1)*bh; y++ {
			copy(f.Y[y*w:(y+1)*w], first)
		}
	}
	// Moving diagonal bands in the bottom half: each row is a window into one ramp.
	const period = 160
	ramp := make([]byte, w+period)
	for i := range ramp {
		ramp[i] = byte(40 + i%period)
	}
	for y := h / 2; y < h; y++ {
		off := (y + int(n)*4) % period
		copy(f.Y[y*w:(y+1)*w], ramp[off:])
	}
	cw := (w + 1) / 2
	bar := int(n*6) % cw
	for y := h / 4; y < (h+1)/2; y++ {
		for x := bar; x < min(bar+cw/10, cw); x++ {
			f.U[y*cw+x], f.V[y*cw+x] = 60, 200
		}
	}
	return f
}

var errNoPattern = errors.New("no valid frame number in picture")

// ReadTestPattern reads the frame number back from a (possibly compressed and scaled) picture.
func ReadTestPattern(f *VideoFrame) (uint32, error) {
	w, h := f.Width, f.Height
	bw, bh := w/patternCols, h/2/patternRows
	if bw < 2 || bh < 2 || len(f.Y) < w*h {
		return 0, errNoPattern
	}
	var code uint32
	for by := 0; by < patternRows; by++ {
		for bx := 0; bx < patternCols; bx++ {
			sum, n := 0, 0
			for y := by*bh + bh/4; y < by*bh+bh*3/4; y++ {
				for x := bx*bw + bw/4; x < bx*bw+bw*3/4; x++ {
					sum += int(f.Y[y*w+x])
					n++
				}
			}
			code <<= 1
			if sum/max(n, 1) >= 128 {
				code |= 1
			}
		}
	}
	num := code >> 8
	if byte(code) != crc8(num) {
		return 0, fmt.Errorf("%w (crc mismatch, %d bits differ)", errNoPattern, bits.OnesCount32(code^patternBits(num)))
	}
	return num, nil
}

// FrameCounterSink reads the number out of each decoded test-pattern frame and records capture →
// decoded latency using the source's FrameClock (in-process tests and benchmarks only).
type FrameCounterSink struct {
	clock *FrameClock
	mu    sync.Mutex
	seen  map[uint32]bool
	lat   []time.Duration
	bad   int
	dups  int
	last  *VideoFrame
}

// NewFrameCounterSink counts frames against clock (nil: numbers only, no latency).
func NewFrameCounterSink(clock *FrameClock) *FrameCounterSink {
	return &FrameCounterSink{clock: clock, seen: make(map[uint32]bool)}
}

// WriteVideo records one decoded frame.
func (s *FrameCounterSink) WriteVideo(f *VideoFrame) error {
	now := time.Now()
	n, err := ReadTestPattern(f)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = f
	if err != nil {
		s.bad++
		return nil
	}
	if s.seen[n] {
		s.dups++
		return nil
	}
	s.seen[n] = true
	if s.clock != nil {
		if t, ok := s.clock.Captured(n); ok {
			s.lat = append(s.lat, now.Sub(t))
		}
	}
	return nil
}

// Close does nothing; the counts stay readable.
func (s *FrameCounterSink) Close() error { return nil }

// FrameCounts is what a FrameCounterSink saw.
type FrameCounts struct {
	Distinct   int // distinct frame numbers read correctly
	Unreadable int // frames whose number did not check out
	Repeated   int
	P50, P95   time.Duration // capture → decoded latency
	Max        time.Duration
}

// Counts summarises the frames so far.
func (s *FrameCounterSink) Counts() FrameCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := FrameCounts{Distinct: len(s.seen), Unreadable: s.bad, Repeated: s.dups}
	if len(s.lat) > 0 {
		l := append([]time.Duration(nil), s.lat...)
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		c.P50, c.P95, c.Max = l[len(l)/2], l[len(l)*95/100], l[len(l)-1]
	}
	return c
}

// Seen reports whether frame n was decoded with a correct number.
func (s *FrameCounterSink) Seen(n uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[n]
}

// Last is the most recent frame written (nil before the first).
func (s *FrameCounterSink) Last() *VideoFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}
