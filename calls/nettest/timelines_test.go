package nettest

import (
	"fmt"
	"strings"
	"time"
)

// framesPer100ms shows new frames per 100 ms from origin (9 means 9 or more), a bar every second.
func framesPer100ms(frames []frameAt, origin time.Time, n int) string {
	counts := make([]int, n)
	var last uint32
	for _, f := range frames {
		if !f.OK || f.N <= last {
			continue
		}
		last = f.N
		i := int(f.At.Sub(origin) / (100 * time.Millisecond))
		if i >= 0 && i < n {
			counts[i]++
		}
	}
	var b strings.Builder
	for i, c := range counts {
		if i%10 == 0 {
			fmt.Fprintf(&b, "|")
		}
		fmt.Fprintf(&b, "%d", min(c, 9))
	}
	return b.String()
}

// videoTimeline lists, per step from origin, what the receiver's video counters did:
// packets/lost/frames decoded/dropped/keyframes asked.
func videoTimeline(samples []sample, origin time.Time, step time.Duration, n int) string {
	var b strings.Builder
	var prev *sample
	next := origin
	for i := range samples {
		s := &samples[i]
		if s.At.Before(next) {
			prev = s
			continue
		}
		if prev != nil {
			fmt.Fprintf(&b, " %+.1fs:%d/%d/%d/%d/%d", next.Sub(origin).Seconds(), s.VideoPackets-prev.VideoPackets, s.VideoLost-prev.VideoLost,
				s.VideoFrames-prev.VideoFrames, s.VideoDropped-prev.VideoDropped, s.VideoKFAsked-prev.VideoKFAsked)
		}
		prev = s
		next = next.Add(step)
		if n--; n == 0 {
			break
		}
	}
	return b.String()
}
