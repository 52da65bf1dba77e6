package media

import (
	"math"
	"time"
)

// When playout starts. The first slot plays the first packet, so whatever the buffer holds then is
// the headroom against jitter until it has measured the link. Starting one frame after the first
// packet was enough on a clean link, but at 100 ± 50 ms of jitter an early first packet left every
// later one late, and the buffer then grew by underruns — runs of concealment of up to 120 ms in the
// first second (calls/nettest). So the start looks at the first packets: if three arrived in order
// and evenly spaced (a clean link) it starts after startMin; otherwise after startMax, which the
// buffer would have grown to by underruns anyway.
const (
	startMin = 2 * FrameDuration
	startMax = 4 * FrameDuration
	// startPackets arriving in order within startSpread of their send spacing make a clean start.
	startPackets = 3
	startSpread  = 10 * time.Millisecond
)

// startGauge watches the packets that arrive before playout starts.
type startGauge struct {
	n                    int
	minTransit, maxTrans int64 // arrival minus send time (ns); only the spread matters
	disordered           bool  // a packet arrived behind a later one
}

func (g *startGauge) observe(ts int64, arrival time.Time, behind bool) {
	transit := arrival.UnixNano() - ts*int64(time.Second)/SampleRate
	if g.n == 0 {
		g.minTransit, g.maxTrans = transit, transit
	}
	g.n++
	g.minTransit, g.maxTrans = min(g.minTransit, transit), max(g.maxTrans, transit)
	g.disordered = g.disordered || behind
}

// regular: enough packets, in order, evenly spaced.
func (g *startGauge) regular() bool {
	return g.n >= startPackets && !g.disordered && time.Duration(g.maxTrans-g.minTransit) <= startSpread
}

// readyToStart says whether the first slot should play now, elapsed after the first packet arrived.
func (b *audioPlayout) readyToStart(elapsed time.Duration) bool {
	switch {
	case elapsed >= startMax:
		return true
	case elapsed < startMin:
		return false
	}
	if !b.start.regular() {
		return false
	}
	for i := range int64(startPackets) {
		if _, ok := b.pkts[b.next+i]; !ok {
			return false
		}
	}
	return true
}

// quietRMS is the level (of int16 full scale) under which a decoded frame counts as silence for
// shedding delay on a stream without DTX (about −50 dBFS).
const quietRMS = 100

func frameQuiet(pcm []int16) bool {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return len(pcm) > 0 && math.Sqrt(sum/float64(len(pcm))) < quietRMS
}
