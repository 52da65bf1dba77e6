package nettest

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// The lossy path of issue 10: random loss in both directions with 100 ms ± 50 ms (normal) of
// one-way delay, which reorders packets.
const (
	lossDelay  = 100 * time.Millisecond
	lossJitter = 50 * time.Millisecond
	measureFor = 8 * time.Second
	connectMax = 20 * time.Second
)

// TestLossyCall runs a call at 5%, 10% and 20% loss: speech both ways, and at 5% a 640×480 test
// pattern from the caller. It prints concealed and FEC-recovered frames and the longest audio gap
// (consecutive PLC frames; FEC-recovered frames are not gaps), requires no gap over 60 ms at 10%
// and at least 20 fps of new video frames at 5%.
func TestLossyCall(t *testing.T) {
	cases := []struct {
		loss   float64
		video  bool
		maxGap time.Duration // 0: report only
		minFPS float64
	}{
		{loss: 5, video: true, minFPS: 20},
		{loss: 10, maxGap: 60 * time.Millisecond},
		{loss: 20},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("loss%g", c.loss), func(t *testing.T) {
			wav := speechWAV(t)
			l := newLink(t)
			caller := childConfig{WAV: wav, Measure: measureFor}
			if c.video {
				caller.VideoW, caller.VideoH, caller.FPS = 640, 480, 30
			}
			// The delay and jitter are there from the start; the loss starts once the call is up.
			// DTLS under loss retransmits after 1, 2, 4, 8 s, so setup time would swing by seconds
			// run to run (16 s once at 10%); and switching the delay on mid-call would itself be a
			// 100 ms hole in the audio.
			l.set(impairment{Delay: lossDelay, Jitter: lossJitter})
			start := time.Now()
			r := startCall(t, l, caller, childConfig{WAV: wav, Measure: measureFor})
			connected := r.connected(connectMax)
			imp := impairment{LossPct: c.loss, Delay: lossDelay, Jitter: lossJitter}
			l.set(imp)
			t.Logf("%s: connected after %v, then %v", l.describe(), connected.Sub(start).Round(time.Millisecond), imp)
			reps := r.reports(measureFor + 10*time.Second)
			if l.fwd != nil {
				passed, dropped := l.fwd.counts()
				for d, name := range []string{"caller→callee", "callee→caller"} {
					t.Logf("link %s: %d packets, %.1f%% dropped", name, passed[d]+dropped[d], pct(dropped[d], passed[d]+dropped[d]))
				}
			}
			for i, name := range []string{callerName, calleeName} {
				// A jittery link has no queue: the queue detector must not cut (calls/congestion.go).
				if n := cutsAt(reps[i].Samples, time.Now()); n > 0 {
					goal(t, "%s: the queue detector cut the target %d times on a link without a bottleneck", name, n)
				}
			}
			for i, name := range []string{"callee→caller", "caller→callee"} {
				rep := reps[i] // the receiving side
				t.Logf("FIGURE loss=%g%% audio %s: %s", c.loss, name, audioLine(rep.Audio))
				t.Logf("concealed frames per second %s: %s; the longest gap ended at %s", name,
					concealedPerSecond(rep.Samples, rep.ConnectedAt), longestGapEnded(rep.Samples, rep.Audio.LongestConcealRun, rep.ConnectedAt))
				if endedEarly(rep) {
					t.Errorf("%s: the call ended during the measurement: %s", []string{callerName, calleeName}[i], stateLog(rep, start))
				}
				if c.maxGap > 0 && time.Duration(gapMillis(rep.Audio))*time.Millisecond > c.maxGap {
					goal(t, "audio %s at %g%% loss: longest gap %d ms, want ≤ %v", name, c.loss, gapMillis(rep.Audio), c.maxGap)
				}
				if rep.Audio.FramesDecoded == 0 {
					t.Errorf("audio %s: nothing decoded", name)
				}
			}
			if c.video {
				rep := reps[1]
				from, to := rep.ConnectedAt.Add(2*time.Second), rep.ConnectedAt.Add(measureFor)
				v := videoIn(rep.Frames, from, to)
				st := rep.Video
				t.Logf("FIGURE loss=%g%% video 640x480@30: fps=%.1f longest_freeze=%v unreadable=%d packets=%d lost=%d late=%d kf_requests=%d dropped=%d decode_errors=%d nack_wait=%v",
					c.loss, v.FPS, v.Freeze.Round(time.Millisecond), v.Unreadable, st.PacketsReceived, st.PacketsLost, st.PacketsLate,
					st.KeyframeRequests, st.FramesDropped, st.DecodeErrors, st.TargetDelay)
				if v.Frames == 0 {
					t.Errorf("video at %g%% loss: no frame arrived", c.loss)
				}
				if v.FPS < c.minFPS {
					goal(t, "video at %g%% loss: %.1f fps, want ≥ %g", c.loss, v.FPS, c.minFPS)
				}
			}
		})
	}
}

// goal checks one of the numeric targets (longest audio gap, frame rate, freeze). They
// measure quality under CPU pressure as much as the code, so — like every speed target here — they
// are asserted where the machine is not shared with the rest of the test suite under -race:
// `make bench-network` sets SOTTO_NETTEST_GOALS=1. Under `make test` a miss is printed, and the
// functional checks (the call survives, audio and video keep arriving, the outage heals) still fail
// the test.
func goal(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("SOTTO_NETTEST_GOALS") == "1" {
		t.Errorf(format, args...)
		return
	}
	t.Logf("GOAL MISSED (asserted by make bench-network): "+format, args...)
}
