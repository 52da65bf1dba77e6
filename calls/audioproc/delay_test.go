package audioproc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// burstySignal is noise switched on and off in random 40–300 ms bursts, a
// stand-in for speech's envelope that needs no external tools.
func burstySignal(n int, seed uint64, amp float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	y := make([]float64, n)
	on := false
	for i := 0; i < n; {
		l := seconds(0.04 + 0.26*r.Float64())
		for j := i; j < min(i+l, n); j++ {
			if on {
				y[j] = amp * r.NormFloat64()
			}
		}
		on = !on
		i += l
	}
	return y
}

// TestDelayEstimator checks the estimator alone: a decaying-echo copy of the
// far end at several delays, with and without an equally loud near-end
// talker on top (double talk from the start).
func TestDelayEstimator(t *testing.T) {
	n := seconds(4)
	far := burstySignal(n, 1, 3000)
	for _, delayMs := range []int{0, 50, 80, 200, 350} {
		for _, doubleTalk := range []bool{false, true} {
			d := seconds(float64(delayMs) / 1000)
			mic := make([]float64, n)
			for i := range mic {
				// direct path at -6 dB and two reflections
				for k, g := range map[int]float64{0: 0.5, seconds(0.013): 0.25, seconds(0.031): 0.12} {
					if j := i - d - k; j >= 0 {
						mic[i] += g * far[j]
					}
				}
			}
			if doubleTalk {
				mic = add(mic, burstySignal(n, 2, 1500))
			}
			est := newDelayEstimator(rate, seconds(0.5))
			f, m := toInt16(far), toInt16(mic)
			block := rate / 100
			for i := 0; i+block <= n; i += block {
				est.push(f[i:i+block], m[i:i+block])
			}
			got := est.Delay()
			t.Logf("delay %d ms, double talk %v: estimated %.1f ms (peak correlation %.2f)", delayMs, doubleTalk, float64(got)*1000/rate, est.peak)
			if math.Abs(float64(got-d)) > float64(est.step) {
				t.Errorf("delay %d ms, double talk %v: estimated %d samples, want %d ± %d", delayMs, doubleTalk, got, d, est.step)
			}
		}
	}
}

// TestDelayEstimatorSilence: with nothing played the estimator adopts nothing.
func TestDelayEstimatorSilence(t *testing.T) {
	est := newDelayEstimator(rate, seconds(0.5))
	far := make([]int16, rate/100)
	mic := toInt16(burstySignal(seconds(3), 3, 2000))
	for i := 0; i+len(far) <= len(mic); i += len(far) {
		est.push(far, mic[i:i+len(far)])
	}
	if est.Delay() != -1 {
		t.Errorf("estimated %d samples with a silent far end", est.Delay())
	}
}
