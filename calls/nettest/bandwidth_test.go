package nettest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	capKbit     = 300
	capAt       = 3 * time.Second // after connecting
	adaptMax    = 5 * time.Second
	freezeMax   = time.Second
	bwMeasure   = 11 * time.Second
	capWindowFP = time.Second // received-rate window
)

// TestBandwidthCap sends a 1280×720 test pattern at 30 fps (and speech both ways), then caps the
// link at 300 kbit/s with tc tbf in both directions. The video must adapt — the bandwidth
// estimator's target and the bitrate actually received fall under the cap — within 5 s, with no
// freeze over 1 s after the cap. It prints the time to adapt, the longest freeze, the received
// resolutions and the received rate per second.
func TestBandwidthCap(t *testing.T) {
	wav := speechWAV(t)
	l := newLink(t)
	start := time.Now()
	r := startCall(t, l, childConfig{WAV: wav, VideoW: 1280, VideoH: 720, FPS: 30, Measure: bwMeasure},
		childConfig{WAV: wav, Measure: bwMeasure})
	connected := r.connected(connectMax)
	time.Sleep(time.Until(connected.Add(capAt)))
	capped := time.Now()
	imp := impairment{RateKbit: capKbit}
	l.set(imp)
	t.Logf("%s: %v from %.2fs after connecting", l.describe(), imp, capped.Sub(connected).Seconds())
	reps := r.reports(bwMeasure + 10*time.Second)
	sender, receiver := reps[0], reps[1]
	end := receiver.ConnectedAt.Add(bwMeasure)
	for i, rep := range reps {
		if endedEarly(rep) {
			t.Errorf("%s: the call ended: %s", []string{callerName, calleeName}[i], stateLog(rep, start))
		}
	}

	// The estimator: first sample at or under the cap after it starts (and staying there).
	var targets []string
	targetAdapted := time.Time{}
	for _, s := range sender.Samples {
		if s.At.Before(capped.Add(-time.Second)) {
			continue
		}
		if len(targets) == 0 || s.At.Sub(capped) >= 0 && int(s.At.Sub(capped)/(500*time.Millisecond)) != len(targets)-2 {
			targets = append(targets, fmt.Sprintf("%.1fs:%dk", s.At.Sub(capped).Seconds(), s.TargetBitrate/1000))
		}
		if s.At.After(capped) && s.TargetBitrate > capKbit*1000 {
			targetAdapted = time.Time{}
		} else if s.At.After(capped) && targetAdapted.IsZero() {
			targetAdapted = s.At
		}
	}
	// The receiver: received video bits per second in 1 s windows; adapted once a window is
	// under the cap and every later one is too.
	var rates []string
	rateAdapted := time.Time{}
	for w := capped; w.Add(capWindowFP).Before(end) || w.Add(capWindowFP).Equal(end); w = w.Add(capWindowFP / 2) {
		kbps := receivedKbps(receiver.Samples, w, w.Add(capWindowFP))
		if kbps < 0 {
			break
		}
		rates = append(rates, fmt.Sprintf("%.1fs:%dk", w.Sub(capped).Seconds(), kbps))
		if kbps > capKbit {
			rateAdapted = time.Time{}
		} else if rateAdapted.IsZero() {
			rateAdapted = w.Add(capWindowFP)
		}
	}
	before := videoIn(receiver.Frames, receiver.ConnectedAt.Add(time.Second), capped)
	after := videoIn(receiver.Frames, capped, end)
	settled := videoIn(receiver.Frames, capped.Add(adaptMax), end)
	t.Logf("FIGURE bandwidth estimator target after the cap: %s", strings.Join(targets, " "))
	t.Logf("FIGURE bandwidth video received (1 s windows, kbit/s): %s", strings.Join(rates, " "))
	t.Logf("FIGURE bandwidth resolutions received: %s", resolutions(receiver.Frames, capped))
	t.Logf("FIGURE bandwidth adapt: target ≤ %dk after %s, received ≤ %dk after %s; longest freeze after the cap %v (at +%.1fs); fps before %.1f, after %.1f, from +5 s %.1f; kf_requests=%d lost=%d",
		capKbit, since(targetAdapted, capped, !targetAdapted.IsZero()), capKbit, since(rateAdapted, capped, !rateAdapted.IsZero()),
		after.Freeze.Round(time.Millisecond), after.FreezeAt.Sub(capped).Seconds(), before.FPS, after.FPS, settled.FPS,
		receiver.Video.KeyframeRequests, receiver.Video.PacketsLost)
	t.Logf("FIGURE bandwidth audio callee→caller: %s", audioLine(sender.Audio))
	t.Logf("FIGURE bandwidth audio caller→callee: %s", audioLine(receiver.Audio))
	if targetAdapted.IsZero() || targetAdapted.Sub(capped) > adaptMax {
		t.Errorf("bandwidth estimate not under %d kbit/s within %v of the cap (%s)", capKbit, adaptMax, since(targetAdapted, capped, !targetAdapted.IsZero()))
	}
	if rateAdapted.IsZero() || rateAdapted.Sub(capped) > adaptMax {
		t.Errorf("received video not under %d kbit/s within %v of the cap (%s)", capKbit, adaptMax, since(rateAdapted, capped, !rateAdapted.IsZero()))
	}
	if after.Freeze > freezeMax {
		t.Errorf("video froze for %v after the cap (at +%.1fs), want ≤ %v", after.Freeze.Round(time.Millisecond), after.FreezeAt.Sub(capped).Seconds(), freezeMax)
	}
}

// receivedKbps is the video payload rate between from and to from a receiver's samples, or -1
// when the samples do not cover the window.
func receivedKbps(samples []sample, from, to time.Time) int {
	var a, b *sample
	for i := range samples {
		s := &samples[i]
		if a == nil && !s.At.Before(from) {
			a = s
		}
		if !s.At.After(to) {
			b = s
		}
	}
	if a == nil || b == nil || !b.At.After(a.At) {
		return -1
	}
	return int(float64(b.VideoBytes-a.VideoBytes) * 8 / b.At.Sub(a.At).Seconds() / 1000)
}
