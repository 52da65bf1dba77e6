package audioproc

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// echoPath is the simulated loudspeaker→microphone path: the far end through
// sox's reverb (the room), attenuated by 6 dB and delayed.
func echoPath(f fixtures, delay time.Duration, n int) []float64 {
	return place(scale(f.farReverb, dB(-6)), int(delay.Seconds()*rate), n)
}

var echoDelays = []time.Duration{50 * time.Millisecond, 80 * time.Millisecond, 140 * time.Millisecond, 200 * time.Millisecond}

// TestEchoCancellationERLE plays far-end speech and captures only its echo
// (near end silent); the processor is never told the delay. ERLE is the
// microphone's energy over the output's from 2 s on.
func TestEchoCancellationERLE(t *testing.T) {
	f := speech(t)
	n := len(f.far) + seconds(0.5)
	type echoCase struct {
		delay time.Duration
		burst int // Playout frames per call
	}
	cases := []echoCase{{delay: 200 * time.Millisecond, burst: 3}}
	for _, d := range echoDelays {
		cases = append(cases, echoCase{delay: d, burst: 1})
	}
	for _, c := range cases {
		delay := c.delay
		t.Run(fmt.Sprintf("%v/burst%d", delay, c.burst), func(t *testing.T) {
			t.Parallel()
			p, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			far := place(f.far, 0, n)
			mic := echoPath(f, delay, n)
			out := runBursts(t, p, far, mic, c.burst)
			from := seconds(2)
			erle := 10 * math.Log10(energy(mic[from:])/(energy(out[from:])+1e-9))
			t.Logf("delay=%v estimated=%v ERLE=%.1f dB", delay, p.Delay(), erle)
			fmt.Printf("ERLE=%.1f delay=%v playout-burst=%d estimated=%v\n", erle, delay, c.burst, p.Delay())
			if d := p.Delay() - delay; d < -10*time.Millisecond || d > 10*time.Millisecond {
				t.Errorf("estimated delay %v, echo path %v", p.Delay(), delay)
			}
			if erle < 25 {
				t.Errorf("ERLE %.1f dB, want ≥ 25 dB", erle)
			}
		})
	}
}

// TestEchoDoubleTalk has the near end talk over the far end's echo: the
// near-end speech must come through nearly untouched. Its level in the output
// is the projection of the output on the clean near end (residual echo is
// orthogonal to it); the correlation coefficient counts residual echo and any
// distortion against it.
func TestEchoDoubleTalk(t *testing.T) {
	f := speech(t)
	n := len(f.far) + seconds(0.5)
	for _, delay := range []time.Duration{80 * time.Millisecond, 200 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			t.Parallel()
			p, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			far := place(f.far, 0, n)
			near := place(f.near, seconds(1.5), n)
			mic := add(echoPath(f, delay, n), near)
			out := run(t, p, far, mic)
			from := seconds(2)
			gain, corr := project(out, near, from)
			lowered := -20 * math.Log10(math.Max(gain, 1e-9))
			erleNear := 10 * math.Log10(meanSquare(near[from:])/meanSquare(out[from:]))
			t.Logf("delay=%v estimated=%v near-end lowered=%.1f dB corr=%.3f (output/near energy %.1f dB)", delay, p.Delay(), lowered, corr, -erleNear)
			fmt.Printf("double-talk delay=%v lowered=%.1fdB corr=%.3f\n", delay, lowered, corr)
			if lowered > 6 {
				t.Errorf("near-end speech lowered by %.1f dB, want ≤ 6", lowered)
			}
			if corr < 0.85 {
				t.Errorf("correlation with the clean near end %.3f, want ≥ 0.85", corr)
			}
		})
	}
}
