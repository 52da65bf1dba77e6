package audioproc

import (
	"fmt"
	"math"
	"testing"
)

// TestGainControl plays a quiet (-30 dBFS) and a loud (-10 dBFS) talker into
// the microphone and checks that speech comes out near the -20 dBFS target
// in the second half of the clip, with no sample at full scale.
func TestGainControl(t *testing.T) {
	f := speech(t)
	n := len(f.near) + seconds(0.5)
	clean := place(f.near, seconds(0.5), n)
	on := speechFrames(clean)
	for _, tc := range []struct {
		name   string
		inDBFS float64
	}{{"quiet", -30}, {"loud", -10}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := math.Sqrt(math.Pow(10, (tc.inDBFS-dBFS(level(clean, on, 0)))/10))
			mic := scale(clean, g)
			p, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			out := run(t, p, nil, mic)
			half := n / 2
			in, got := dBFS(level(mic, on, half)), dBFS(level(out, on, half))
			var peak float64
			for _, v := range out {
				peak = math.Max(peak, math.Abs(v))
			}
			t.Logf("%s talker: speech %.1f dBFS in → %.1f dBFS out (target %d), peak %.1f dBFS, gain now %.1f dB",
				tc.name, in, got, DefaultTargetLevelDBFS, 20*math.Log10(peak/32768), p.agc.GainDB())
			fmt.Printf("AGC %s: %.1f → %.1f dBFS (target %d), peak %.1f dBFS\n", tc.name, in, got, DefaultTargetLevelDBFS, 20*math.Log10(peak/32768))
			if math.Abs(got-DefaultTargetLevelDBFS) > 4 {
				t.Errorf("speech at %.1f dBFS after gain control, want %d ± 4", got, DefaultTargetLevelDBFS)
			}
			if peak >= 32767 {
				t.Errorf("output reached full scale (clipped)")
			}
		})
	}
}
