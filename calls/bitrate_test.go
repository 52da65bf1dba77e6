package calls

import "testing"

// TestAudioBitrateFor: the voice drops to the low rate only when video competes for a small
// estimate; a voice-only call keeps its rate even at GCC's floor (the estimate then only reflects
// the audio's own rate after a delay cut).
func TestAudioBitrateFor(t *testing.T) {
	for _, c := range []struct {
		bps   int
		video bool
		want  int
	}{
		{1_000_000, true, audioBitrateHigh},
		{150_000, true, audioBitrateHigh},
		{149_999, true, audioBitrateLow},
		{minBitrate, true, audioBitrateLow},
		{1_000_000, false, audioBitrateHigh},
		{minBitrate, false, audioBitrateHigh},
	} {
		if got := audioBitrateFor(c.bps, c.video); got != c.want {
			t.Errorf("audioBitrateFor(%d, video %v) = %d, want %d", c.bps, c.video, got, c.want)
		}
	}
}
