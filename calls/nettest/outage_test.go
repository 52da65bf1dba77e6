package nettest

import (
	"testing"
	"time"
)

// Outage timing, from the moment both sides are connected.
const (
	outageAt  = 3 * time.Second
	outageFor = 2 * time.Second
	// Bounds on how long after the link comes back audio and video play again (measured
	// figures are in docs/CALLS-NETWORK.md).
	audioResumeMax = 1 * time.Second
	videoResumeMax = 2 * time.Second
	outageMeasure  = 10 * time.Second
)

// TestOutageRecovery cuts the link completely (100% loss both ways) for 2 s in the middle of a
// call with speech both ways and 640×480 video from the caller, then restores it. Audio and video
// must resume within audioResumeMax and videoResumeMax of the link coming back and the call must
// not end (reconnecting and back is allowed, and printed).
func TestOutageRecovery(t *testing.T) {
	wav := speechWAV(t)
	l := newLink(t)
	start := time.Now()
	r := startCall(t, l, childConfig{WAV: wav, VideoW: 640, VideoH: 480, FPS: 30, Measure: outageMeasure},
		childConfig{WAV: wav, Measure: outageMeasure})
	connected := r.connected(connectMax)
	time.Sleep(time.Until(connected.Add(outageAt)))
	cut := l.set(impairment{LossPct: 100})
	time.Sleep(time.Until(cut.Add(outageFor)))
	back := l.set(impairment{})
	t.Logf("%s: outage (100%% loss) from %.2fs to %.2fs after connecting", l.describe(),
		cut.Sub(connected).Seconds(), back.Sub(connected).Seconds())
	reps := r.reports(outageMeasure + 10*time.Second)

	for i, name := range []string{"callee→caller", "caller→callee"} {
		rep := reps[i]
		who := []string{callerName, calleeName}[i]
		t.Logf("%s states: %s", who, stateLog(rep, start))
		if endedEarly(rep) {
			t.Errorf("%s: the call ended: %s", who, stateLog(rep, start))
		}
		resumed, ok := audioResumedAfter(rep.Samples, back)
		t.Logf("FIGURE outage audio %s: resumed %s after the link came back (±%v sampling); %s",
			name, since(resumed, back, ok), sampleEvery, audioLine(rep.Audio))
		if !ok || resumed.Sub(back) > audioResumeMax {
			t.Errorf("audio %s did not resume within %v of the link coming back (%s)", name, audioResumeMax, since(resumed, back, ok))
		}
	}
	rep := reps[1]
	first, ok := firstNewFrameAfter(rep.Frames, back)
	v := videoIn(rep.Frames, rep.ConnectedAt.Add(time.Second), rep.ConnectedAt.Add(outageMeasure))
	after := videoIn(rep.Frames, back.Add(videoResumeMax), rep.ConnectedAt.Add(outageMeasure))
	t.Logf("FIGURE outage video caller→callee: first new frame %s after the link came back; longest freeze %v (outage %v); fps after recovery %.1f; kf_requests=%d lost=%d",
		since(first, back, ok), v.Freeze.Round(time.Millisecond), outageFor, after.FPS, rep.Video.KeyframeRequests, rep.Video.PacketsLost)
	if !ok || first.Sub(back) > videoResumeMax {
		t.Errorf("video did not resume within %v of the link coming back (%s)", videoResumeMax, since(first, back, ok))
	}
}

// since formats t − ref, or "never".
func since(t, ref time.Time, ok bool) string {
	if !ok {
		return "never"
	}
	return t.Sub(ref).Round(time.Millisecond).String()
}
