package audioproc

import (
	"fmt"
	"math"
	"testing"
)

// TestNoiseSuppression adds stationary noise (white, pink and a fan's hum) to
// near-end speech at 5 dB SNR and measures the SNR after the processor.
//
// SNR here is the speech component's power over the noise's: the speech
// component of a signal y is its projection g·s on the clean speech s (g
// fitted over the speech frames), its power g²·P(s) over the speech frames;
// the noise power is y's mean square over frames at least 100 ms from any
// speech, where y holds nothing but noise. For the input g = 1 and this is the
// 5 dB the noise was scaled to. The output's improvement can therefore not
// come from lowering the speech: that lowers g. As a second, stricter
// figure, the residual during speech (y − g·s over speech frames: noise left
// plus any distortion of the speech) is reported as well.
func TestNoiseSuppression(t *testing.T) {
	f := speech(t)
	n := len(f.near) + seconds(2)
	clean := place(f.near, seconds(1.5), n) // 1.5 s of noise alone first: the suppressor learns it
	speechOn := speechFrames(clean)
	quiet := quietFrames(speechOn)
	noises := map[string][]float64{
		"white": whiteNoise(n, 1),
		"pink":  pinkNoise(n, 2),
		"fan":   add(scale(fanHum(n), 0.8), scale(pinkNoise(n, 3), 0.6)),
	}
	for _, name := range []string{"white", "pink", "fan"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			noise := noises[name]
			want := level(clean, speechOn, 0) / math.Pow(10, 0.5) // 5 dB SNR
			noise = scale(noise, math.Sqrt(want/meanSquare(noise)))
			mic := add(clean, noise)
			p, err := New(Config{DisableGain: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			out := run(t, p, nil, mic)
			from := seconds(1.5)
			in, inStrict := snr(mic, clean, speechOn, quiet, from)
			got, gotStrict := snr(out, clean, speechOn, quiet, from)
			gain, _ := project(masked(out, speechOn), masked(clean, speechOn), from)
			t.Logf("%s: SNR in %.1f dB → out %.1f dB (improved %.1f dB); during speech %.1f → %.1f dB; speech gain %.1f dB",
				name, in, got, got-in, inStrict, gotStrict, 20*math.Log10(gain))
			fmt.Printf("NS %s: SNR %.1f → %.1f dB, improved %.1f dB (during speech %.1f → %.1f dB)\n", name, in, got, got-in, inStrict, gotStrict)
			if got-in < 10 {
				t.Errorf("SNR improved by %.1f dB, want ≥ 10", got-in)
			}
			if gotStrict < inStrict {
				t.Errorf("SNR during speech fell from %.1f to %.1f dB", inStrict, gotStrict)
			}
		})
	}
}

// snr returns the signal-to-noise ratio of y against clean speech s as
// described on TestNoiseSuppression, and the stricter during-speech one.
func snr(y, s []float64, speechOn, quiet []bool, from int) (ratio, strict float64) {
	ys, ss := masked(y, speechOn), masked(s, speechOn)
	g, _ := project(ys, ss, from)
	signal := g * g * level(s, speechOn, from)
	noise := level(y, quiet, from)
	residual := make([]float64, len(y))
	for i := range residual {
		residual[i] = ys[i] - g*ss[i]
	}
	return 10 * math.Log10(signal/noise), 10 * math.Log10(signal/level(residual, speechOn, from))
}

// masked zeroes x outside the marked 20 ms frames.
func masked(x []float64, frames []bool) []float64 {
	y := make([]float64, len(x))
	for i, on := range frames {
		if on {
			copy(y[i*frame:min((i+1)*frame, len(y))], x[i*frame:])
		}
	}
	return y
}
