package audioproc

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Test signals: speech from espeak-ng resampled by sox, an echo path with sox
// reverb, noises made here. Everything is 48 kHz mono int16 held as float64
// until it is quantised for the Processor.

const rate = 48000

const (
	farText  = "The quarterly report is finished. Please read the numbers on page four before the meeting, and send me your questions by Friday afternoon."
	nearText = "Hello, can you hear me now? I think the weather is lovely today, so we could walk to the park after lunch."
)

type fixtures struct {
	far, near []float64 // clean speech, far end (male voice) and near end (female voice)
	farReverb []float64 // far end through sox reverb (the room), not yet delayed
	err       error
}

var (
	fixturesOnce sync.Once
	fixture      fixtures
)

// requireTools skips the test without espeak-ng and sox, or fails it when
// SOTTO_TEST_REQUIRE_SERVICES=1 says they must be there.
func requireTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
				t.Fatalf("%s is required (SOTTO_TEST_REQUIRE_SERVICES=1) but not found: %v", tool, err)
			}
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
}

// speech returns the fixtures, made once per test binary.
func speech(t testing.TB) fixtures {
	t.Helper()
	requireTools(t)
	fixturesOnce.Do(func() { fixture = makeFixtures() })
	if fixture.err != nil {
		t.Fatalf("make speech fixtures: %v", fixture.err)
	}
	return fixture
}

func makeFixtures() fixtures {
	dir, err := os.MkdirTemp("", "audioproc-test-")
	if err != nil {
		return fixtures{err: err}
	}
	defer os.RemoveAll(dir)
	var f fixtures
	if f.far, err = say(dir, "far", "en-us", farText, "gain", "-3"); err != nil {
		return fixtures{err: err}
	}
	if f.near, err = say(dir, "near", "en+f3", nearText, "gain", "-3"); err != nil {
		return fixtures{err: err}
	}
	// The room: sox's reverberator, 30 % reverberance, a small room, the dry
	// signal kept (wet gain -6 dB so the tail is "a little" reverb).
	if f.farReverb, err = say(dir, "farroom", "en-us", farText, "gain", "-3", "reverb", "30", "50", "30", "100", "0", "-6"); err != nil {
		return fixtures{err: err}
	}
	return f
}

// say renders text with espeak-ng and converts it with sox to 48 kHz mono
// 16-bit raw samples, applying the extra sox effects given.
func say(dir, name, voice, text string, effects ...string) ([]float64, error) {
	wav := filepath.Join(dir, name+".wav")
	if out, err := exec.Command("espeak-ng", "-v", voice, "-w", wav, text).CombinedOutput(); err != nil {
		return nil, &toolError{"espeak-ng", err, out}
	}
	raw := filepath.Join(dir, name+".raw")
	args := append([]string{wav, "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", "-L", "-t", "raw", raw}, effects...)
	if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		return nil, &toolError{"sox", err, out}
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		return nil, err
	}
	x := make([]float64, len(b)/2)
	for i := range x {
		x[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:])))
	}
	return x, nil
}

type toolError struct {
	tool string
	err  error
	out  []byte
}

func (e *toolError) Error() string { return e.tool + ": " + e.err.Error() + ": " + string(e.out) }

// --- signal arithmetic ---

func seconds(s float64) int { return int(s * rate) }

// place returns a signal of n samples with x starting at offset (cut at n).
func place(x []float64, offset, n int) []float64 {
	y := make([]float64, n)
	for i, v := range x {
		if j := offset + i; j >= 0 && j < n {
			y[j] = v
		}
	}
	return y
}

func scale(x []float64, g float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v * g
	}
	return y
}

func add(xs ...[]float64) []float64 {
	y := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i := range y {
			y[i] += x[i]
		}
	}
	return y
}

func dB(g float64) float64 { return math.Pow(10, g/20) }

func energy(x []float64) float64 {
	var e float64
	for _, v := range x {
		e += v * v
	}
	return e
}

func meanSquare(x []float64) float64 { return energy(x) / float64(len(x)) }

func dBFS(ms float64) float64 { return 10 * math.Log10(ms/(32768.0*32768.0)+1e-20) }

// speechFrames marks the 20 ms frames of clean speech within 30 dB of its
// loudest frame; the level of a talker is its mean square over those.
func speechFrames(clean []float64) []bool {
	const fr = rate / 50
	n := len(clean) / fr
	es := make([]float64, n)
	loudest := 0.0
	for i := range es {
		es[i] = meanSquare(clean[i*fr : (i+1)*fr])
		loudest = math.Max(loudest, es[i])
	}
	active := make([]bool, n)
	for i, e := range es {
		active[i] = e > loudest*1e-3
	}
	return active
}

// level is the mean square of x over the marked 20 ms frames from sample from.
func level(x []float64, frames []bool, from int) float64 {
	const fr = rate / 50
	var e float64
	var n int
	for i, on := range frames {
		if !on || i*fr < from || (i+1)*fr > len(x) {
			continue
		}
		e += energy(x[i*fr : (i+1)*fr])
		n += fr
	}
	if n == 0 {
		return 0
	}
	return e / float64(n)
}

// quietFrames marks frames at least 100 ms away from any speech frame.
func quietFrames(active []bool) []bool {
	const guard = 5
	q := make([]bool, len(active))
	for i := range q {
		q[i] = true
		for j := max(0, i-guard); j <= min(len(active)-1, i+guard); j++ {
			if active[j] {
				q[i] = false
				break
			}
		}
	}
	return q
}

// whiteNoise and pinkNoise have unit mean square.
func whiteNoise(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for i := range y {
		y[i] = r.NormFloat64()
	}
	return y
}

// pinkNoise uses Paul Kellett's economy filter on white noise (−3 dB/octave).
func pinkNoise(n int, seed uint64) []float64 {
	w := whiteNoise(n, seed)
	y := make([]float64, n)
	var b0, b1, b2 float64
	for i, v := range w {
		b0 = 0.99765*b0 + v*0.0990460
		b1 = 0.96300*b1 + v*0.2965164
		b2 = 0.57000*b2 + v*1.0526913
		y[i] = b0 + b1 + b2 + v*0.1848
	}
	return scale(y, 1/math.Sqrt(meanSquare(y)))
}

// fanHum is a fan: a 50 Hz motor hum with harmonics plus a blade-pass tone
// with a slow wobble, unit mean square.
func fanHum(n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		t := float64(i) / rate
		wobble := 1 + 0.2*math.Sin(2*math.Pi*0.7*t)
		y[i] = math.Sin(2*math.Pi*50*t) + 0.5*math.Sin(2*math.Pi*100*t+0.3) +
			0.3*math.Sin(2*math.Pi*150*t+1.1) + 0.4*wobble*math.Sin(2*math.Pi*240*t)
	}
	return scale(y, 1/math.Sqrt(meanSquare(y)))
}

// --- running the processor ---

func toInt16(x []float64) []int16 {
	y := make([]int16, len(x))
	for i, v := range x {
		y[i] = int16(math.Max(-32768, math.Min(32767, math.Round(v))))
	}
	return y
}

func toFloat(x []int16) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

const frame = rate / 50 // 20 ms, as calls/media delivers

// run feeds far (may be nil: nothing played) and mic through p frame by
// frame, each Playout just before the Capture of the same 20 ms, and returns
// the output with the processor's latency removed.
func run(t testing.TB, p *Processor, far, mic []float64) []float64 {
	return runBursts(t, p, far, mic, 1)
}

// runBursts is run with Playout called for burst frames at a time, ahead of
// the Captures of the same stretch, as an audio callback with a larger buffer
// than the capture's would.
func runBursts(t testing.TB, p *Processor, far, mic []float64, burst int) []float64 {
	t.Helper()
	f, m := toInt16(far), toInt16(mic)
	out := make([]int16, 0, len(m))
	for i := 0; i+frame <= len(m); i += frame {
		if far != nil && (i/frame)%burst == 0 {
			p.Playout(f[i:min(i+burst*frame, len(f))])
		}
		fr := append([]int16(nil), m[i:i+frame]...)
		out = append(out, p.Capture(fr)...)
	}
	lag := int(p.Latency().Seconds()*rate + 0.5)
	y := make([]float64, len(m))
	for i := range y {
		if j := i + lag; j < len(out) {
			y[i] = float64(out[j])
		}
	}
	return y
}

// project returns the gain g of the part of y that is g·x, and the
// correlation coefficient of x and y, over [from, len).
func project(y, x []float64, from int) (gain, corr float64) {
	var xy, xx, yy float64
	for i := from; i < len(x) && i < len(y); i++ {
		xy += x[i] * y[i]
		xx += x[i] * x[i]
		yy += y[i] * y[i]
	}
	if xx == 0 || yy == 0 {
		return 0, 0
	}
	return xy / xx, xy / math.Sqrt(xx*yy)
}
