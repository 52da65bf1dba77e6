package nettest

import (
	"fmt"
	"strings"
	"time"

	"github.com/sotto-im/sotto/calls/media"
)

// videoFigures is what a receiver's frame record says about a time window.
type videoFigures struct {
	Frames     int           // new frames (a pattern number higher than any before) in the window
	FPS        float64       // Frames per second of the window
	Freeze     time.Duration // longest time without a new frame (window edges count)
	FreezeAt   time.Time     // when that freeze began
	Unreadable int           // decoded frames whose pattern number did not check out
}

// videoIn measures frames in [from, to).
func videoIn(frames []frameAt, from, to time.Time) videoFigures {
	var v videoFigures
	var last uint32
	haveLast := false
	prev := from
	for _, f := range frames {
		if !f.OK {
			if !f.At.Before(from) && f.At.Before(to) {
				v.Unreadable++
			}
			continue
		}
		isNew := !haveLast || f.N > last
		if isNew {
			last, haveLast = f.N, true
		}
		if !isNew || f.At.Before(from) || !f.At.Before(to) {
			continue
		}
		v.Frames++
		if gap := f.At.Sub(prev); gap > v.Freeze {
			v.Freeze, v.FreezeAt = gap, prev
		}
		prev = f.At
	}
	if gap := to.Sub(prev); gap > v.Freeze {
		v.Freeze, v.FreezeAt = gap, prev
	}
	v.FPS = float64(v.Frames) / to.Sub(from).Seconds()
	return v
}

// firstNewFrameAfter is when the first new frame arrived at or after t.
func firstNewFrameAfter(frames []frameAt, t time.Time) (time.Time, bool) {
	var last uint32
	for _, f := range frames {
		if !f.OK {
			continue
		}
		isNew := f.N > last
		if isNew {
			last = f.N
		}
		if isNew && !f.At.Before(t) {
			return f.At, true
		}
	}
	return time.Time{}, false
}

// resolutions lists the received frame sizes in order, with when each began.
func resolutions(frames []frameAt, origin time.Time) string {
	var parts []string
	w, h := 0, 0
	for _, f := range frames {
		if f.W != w || f.H != h {
			w, h = f.W, f.H
			parts = append(parts, fmt.Sprintf("%dx%d@%.1fs", w, h, f.At.Sub(origin).Seconds()))
		}
	}
	return strings.Join(parts, " → ")
}

// audioResumedAfter is the first sample at or after t whose played-frame count grew.
func audioResumedAfter(samples []sample, t time.Time) (time.Time, bool) {
	for i := 1; i < len(samples); i++ {
		if samples[i].At.Before(t) {
			continue
		}
		if samples[i].AudioPlayed > samples[i-1].AudioPlayed {
			return samples[i].At, true
		}
	}
	return time.Time{}, false
}

// audioLine is a receiver's audio figures on one line.
func audioLine(st media.ReceiverStats) string {
	slots := st.FramesDecoded + st.FramesFEC + st.FramesConcealed
	return fmt.Sprintf("slots=%d decoded=%d fec=%d concealed=%d (%.1f%%) longest_gap=%dms lost=%d late=%d dropped=%d underruns=%d jitter=%v target=%v start=%v",
		slots, st.FramesDecoded, st.FramesFEC, st.FramesConcealed, pct(st.FramesConcealed, slots),
		gapMillis(st), st.PacketsLost, st.PacketsLate, st.FramesDropped, st.Underruns,
		st.Jitter.Round(time.Millisecond), st.TargetDelay, st.StartDelay.Round(time.Millisecond))
}

// gapMillis is the longest concealed run as audio time.
func gapMillis(st media.ReceiverStats) int64 {
	return int64(st.LongestConcealRun) * media.FrameDuration.Milliseconds()
}

func pct(n, of uint64) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// stateLog lists a side's states with times since origin.
func stateLog(r *report, origin time.Time) string {
	var parts []string
	for _, s := range r.States {
		p := fmt.Sprintf("%s@%.2fs", s.State, s.At.Sub(origin).Seconds())
		if s.Reason != "" {
			p += "(" + s.Reason + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// endedEarly reports whether a side's call ended during the measurement.
func endedEarly(r *report) bool {
	for _, s := range r.States {
		if s.State == "ended" {
			return true
		}
	}
	return false
}

// concealedPerSecond lists how many audio frames were concealed in each second from origin.
func concealedPerSecond(samples []sample, origin time.Time) string {
	var parts []string
	var last uint64
	sec := 1
	for i, s := range samples {
		if i == 0 {
			last = s.AudioConcealed
		}
		if s.At.Sub(origin) >= time.Duration(sec)*time.Second {
			parts = append(parts, fmt.Sprint(s.AudioConcealed-last))
			last = s.AudioConcealed
			sec++
		}
	}
	return strings.Join(parts, " ")
}

// longestGapEnded is when the longest audio gap so far ended: the first sample showing the final
// LongestConcealRun (within sampleEvery).
func longestGapEnded(samples []sample, final uint64, origin time.Time) string {
	for _, s := range samples {
		if final > 0 && s.AudioLongest == final {
			return fmt.Sprintf("+%.1fs", s.At.Sub(origin).Seconds())
		}
	}
	return "-"
}
