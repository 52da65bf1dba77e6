package calls

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// The fast reaction to a queue at a bottleneck. pion's GCC needed 0.66–1.05 s to cut its estimate
// under a 300 kbit/s cap when a 1.2 Mbit/s call hit it (calls/nettest): its delay detector waits for
// the trend to settle and its cut is 0.85 × a received rate averaged over 500 ms, which still holds
// the rate from before the cap, so it takes several cuts. Meanwhile the video overflowed the
// bottleneck's queue and froze for 1–2 s. Like libwebrtc's acknowledged-bitrate back-off,
// queueDetector reads the same TWCC feedback and, when a queue builds or stands, cuts the target at
// once to cutFactor × the rate the receiver got the latest packets at (the bottleneck's rate, when a
// queue is before it). GCC then takes over.
//
// A queue building: the last rampPackets' delays rise in a straight line (slope ≥ rampSlope, a
// residual ≤ rampResidual) by at least rampRise — what a link slower than the sender does, and what
// jitter does not look like. A queue standing: every packet of the last queueWindow (at least
// queueMinPackets of them) waited at least standingQueue longer than the least delay seen lately
// (less on a link whose delay hardly varies: see minStandingQueue); at 100 ± 50 ms of jitter one
// packet in three is that late, but eight in a row rarely (TestQueueDetectorIgnoresJitterAndLoss:
// never in 40 minutes of such links). A video sender well below its frame rate sends in bursts,
// and the delay then rises in a sawtooth the ramp test misses; the standing test catches it.
//
// The queue is still full of packets sent before the cut; what is sent next waits behind them, or
// is dropped when the queue overflows. So for as long as the queue is (at most maxHold) the video
// sender holds its frames and retransmissions are not sent (they would repair frames the receiver
// has given up on); then the video restarts with a keyframe, at the resolution the new rate calls
// for, into an emptier queue.
const (
	queueWindow     = 150 * time.Millisecond
	standingQueue   = 120 * time.Millisecond
	queueMinPackets = 8
	// On a link whose delay hardly varies a much shorter queue is already a queue: the threshold is
	// then 3 × the spread (10th to 90th percentile) of the delays before the last noiseAfter, but
	// not under minStandingQueue.
	minStandingQueue = 30 * time.Millisecond
	noiseAfter       = 300 * time.Millisecond
	noisePackets     = 20
	rampPackets      = 14
	rampSlope        = 1.0 // seconds of delay per second sent: the link at half the send rate or less
	rampResidual     = 30 * time.Millisecond
	rampRise         = 60 * time.Millisecond
	// queueBaseWindow is how long the least delay is remembered (the link's delay without a queue).
	queueBaseWindow = 3 * time.Second
	cutFactor       = 0.85
	// maxRateRatio: the packets must have come out at most this fraction of the rate they went in
	// at. A bottleneck spreads them (tbf at 300 kbit/s under 1.2 Mbit/s: 0.25); jitter does not on
	// average, nor does a receiver that read its socket late (its TWCC arrival times are when it
	// read: calls/nettest's 5 % loss call with 640×480 video was cut 5–7 times without this).
	maxRateRatio = 0.6
	// cutHold: after a cut the feedback must show the queue standing again this long later before
	// another cut (the packets sent before the cut are still in the queue).
	cutHold = 400 * time.Millisecond
	// capHold: a cut caps the target until GCC's own estimate comes down to it, or this long.
	capHold = 3 * time.Second
	// maxHold bounds how long video is held after a cut for the queue to drain.
	maxHold = 400 * time.Millisecond
)

type sentPacket struct {
	at   time.Time
	size int
}

type ackedPacket struct {
	sent    time.Duration // since the detector's epoch
	delay   time.Duration // arrival (receiver clock) minus send (our clock): only differences count
	arrival time.Duration // receiver clock
	size    int
	seen    time.Time // when its feedback came
}

// queueDetector matches TWCC feedback with the packets sent and reports cuts to onCut.
type queueDetector struct {
	mu      sync.Mutex
	epoch   time.Time
	sent    map[int64]sentPacket // by unwrapped transport-wide sequence number
	highest int64
	started bool
	acks    []ackedPacket // in feedback order
	lastCut time.Time
	hold    time.Time // until then retransmissions are dropped
	onCut   func(bps int, queue time.Duration)
}

func newQueueDetector(onCut func(bps int, queue time.Duration)) *queueDetector {
	return &queueDetector{epoch: time.Now(), sent: make(map[int64]sentPacket), onCut: onCut}
}

// unwrap extends a 16-bit transport sequence number to the one nearest the highest sent.
func (d *queueDetector) unwrap(seq uint16) int64 {
	if !d.started {
		return int64(seq)
	}
	return d.highest + int64(int16(seq-uint16(d.highest)))
}

// onSent records a packet as it leaves (size in bytes, RTP header included).
func (d *queueDetector) onSent(seq uint16, size int, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.unwrap(seq)
	if !d.started || s > d.highest {
		d.highest, d.started = s, true
	}
	d.sent[s] = sentPacket{at: at, size: size}
	if s%256 == 0 { // packets never acknowledged (lost) go after queueBaseWindow
		for old, p := range d.sent {
			if at.Sub(p.at) > queueBaseWindow {
				delete(d.sent, old)
			}
		}
	}
}

// onFeedback takes one TWCC feedback packet that arrived at now.
func (d *queueDetector) onFeedback(fb *rtcp.TransportLayerCC, now time.Time) {
	arrivals := twccArrivals(fb)
	d.mu.Lock()
	if !d.started {
		d.mu.Unlock()
		return
	}
	for _, a := range arrivals {
		s := d.unwrap(a.seq)
		p, ok := d.sent[s]
		if !ok {
			continue
		}
		delete(d.sent, s)
		d.acks = append(d.acks, ackedPacket{sent: p.at.Sub(d.epoch), delay: a.at - p.at.Sub(d.epoch), arrival: a.at, size: p.size, seen: now})
	}
	drop := 0
	for drop < len(d.acks) && now.Sub(d.acks[drop].seen) > queueBaseWindow {
		drop++
	}
	d.acks = d.acks[drop:]
	bps, queue, cut := d.verdict(now)
	if cut {
		queue = min(queue, maxHold)
		d.lastCut, d.hold = now, now.Add(queue)
	}
	onCut := d.onCut
	d.mu.Unlock()
	if cut && onCut != nil {
		onCut(bps, queue)
	}
}

// holding says whether a cut's hold is on: retransmissions are not sent.
func (d *queueDetector) holding(now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return now.Before(d.hold)
}

// verdict decides whether the queue stands, at what rate to cut and how long the queue is.
func (d *queueDetector) verdict(now time.Time) (int, time.Duration, bool) {
	if len(d.acks) < queueMinPackets || now.Sub(d.lastCut) < cutHold {
		return 0, 0, false
	}
	byArrival := make([]ackedPacket, len(d.acks))
	copy(byArrival, d.acks)
	slices.SortFunc(byArrival, func(a, b ackedPacket) int { return cmp.Compare(b.arrival, a.arrival) })
	base := byArrival[0].delay
	for _, a := range byArrival {
		base = min(base, a.delay)
	}
	// The window: the packets that arrived in the last queueWindow, or the last queueMinPackets.
	newest := byArrival[0].arrival
	recentMin, n := byArrival[0].delay, 0
	for _, a := range byArrival {
		if n >= queueMinPackets && a.arrival < newest-queueWindow {
			break
		}
		recentMin = min(recentMin, a.delay)
		n++
	}
	queue := recentMin - base
	if queue < d.standingThreshold(byArrival, newest) {
		if len(byArrival) < rampPackets {
			return 0, 0, false
		}
		ramp := byArrival[:rampPackets]
		slope, residual := fitDelays(ramp)
		var span time.Duration
		for _, a := range ramp {
			span = max(span, ramp[0].sent-a.sent)
		}
		rise := time.Duration(slope * float64(span))
		if slope < rampSlope || residual > rampResidual || rise < rampRise || ramp[0].delay-base < rampRise {
			return 0, 0, false
		}
		// The queue goes on growing at the slope until the cut reaches the sender.
		queue = ramp[0].delay - base + time.Duration(slope*float64(now.Sub(d.epoch)-ramp[0].sent))
		// The bottleneck's rate: how fast the packets that queued came out.
		var queued []ackedPacket
		for _, a := range ramp {
			if a.delay-base >= rampResidual {
				queued = append(queued, a)
			}
		}
		if len(queued) < rampPackets/3 {
			return 0, 0, false
		}
		return cutRate(queued, queue)
	}
	return cutRate(byArrival[:n], queue)
}

// cutRate is the cut for the packets pkts (newest arrival first): cutFactor × the rate they came
// out at, if that is under maxRateRatio × the rate they went in at.
func cutRate(pkts []ackedPacket, queue time.Duration) (int, time.Duration, bool) {
	firstIn, lastIn := pkts[0].sent, pkts[0].sent
	for _, a := range pkts {
		firstIn, lastIn = min(firstIn, a.sent), max(lastIn, a.sent)
	}
	oldest := pkts[len(pkts)-1]
	bits := 0
	for _, a := range pkts[:len(pkts)-1] {
		bits += a.size * 8
	}
	out := pkts[0].arrival - oldest.arrival
	if out <= 0 {
		return 0, 0, false
	}
	rate := float64(bits) / out.Seconds()
	if in := lastIn - firstIn; in > 0 && rate > maxRateRatio*float64(bits)/in.Seconds() {
		return 0, 0, false
	}
	return int(cutFactor * rate), queue, true
}

// standingThreshold is how long a queue must stand to count: standingQueue, or less on a link
// whose delay hardly varied (see minStandingQueue). byArrival is newest first.
func (d *queueDetector) standingThreshold(byArrival []ackedPacket, newest time.Duration) time.Duration {
	var older []time.Duration
	for _, a := range byArrival {
		if a.arrival < newest-noiseAfter {
			older = append(older, a.delay)
		}
	}
	if len(older) < noisePackets {
		return standingQueue
	}
	slices.Sort(older)
	spread := older[len(older)*9/10] - older[len(older)/10]
	return min(max(3*spread, minStandingQueue), standingQueue)
}

// fitDelays fits delay = a + slope·sent by least squares and returns the slope (seconds per second)
// and the residuals' standard deviation.
func fitDelays(pkts []ackedPacket) (slope float64, residual time.Duration) {
	var mx, my float64
	for _, p := range pkts {
		mx += p.sent.Seconds()
		my += p.delay.Seconds()
	}
	n := float64(len(pkts))
	mx, my = mx/n, my/n
	var sxx, sxy float64
	for _, p := range pkts {
		dx := p.sent.Seconds() - mx
		sxx += dx * dx
		sxy += dx * (p.delay.Seconds() - my)
	}
	if sxx == 0 {
		return 0, 0
	}
	slope = sxy / sxx
	var ss float64
	for _, p := range pkts {
		r := p.delay.Seconds() - my - slope*(p.sent.Seconds()-mx)
		ss += r * r
	}
	return slope, time.Duration(math.Sqrt(ss/math.Max(n-2, 1)) * float64(time.Second))
}

type twccArrival struct {
	seq uint16
	at  time.Duration // receiver clock
}

// twccArrivals lists the packets a TWCC feedback reports received, with their arrival times.
func twccArrivals(fb *rtcp.TransportLayerCC) []twccArrival {
	out := make([]twccArrival, 0, fb.PacketStatusCount)
	at := time.Duration(fb.ReferenceTime) * 64 * time.Millisecond
	seq, left, deltas := fb.BaseSequenceNumber, int(fb.PacketStatusCount), fb.RecvDeltas
	status := func(sym uint16) {
		if left == 0 {
			return
		}
		left--
		if sym == rtcp.TypeTCCPacketReceivedSmallDelta || sym == rtcp.TypeTCCPacketReceivedLargeDelta {
			if len(deltas) == 0 || deltas[0] == nil {
				left = 0 // malformed: fewer deltas than received packets
				return
			}
			at += time.Duration(deltas[0].Delta) * time.Microsecond
			deltas = deltas[1:]
			out = append(out, twccArrival{seq: seq, at: at})
		}
		seq++
	}
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for range min(int(c.RunLength), left) {
				status(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, sym := range c.SymbolList {
				status(sym)
			}
		}
	}
	return out
}

// targetCap is the bitrate the senders get: the estimator's target, capped by the last fast cut
// until the estimate comes down to the cap or capHold passes.
type targetCap struct {
	estimate int // the estimator's latest target (0: none yet)
	cap      int // 0: no cap
	until    time.Time
	cuts     int // cuts taken
}

// cut sets a cap under the current target; false if bps would not lower it.
func (t *targetCap) cut(bps int, now time.Time) bool {
	if cur := t.current(now); bps <= 0 || cur > 0 && bps >= cur {
		return false
	}
	t.cap, t.until = bps, now.Add(capHold)
	t.cuts++
	return true
}

func (t *targetCap) current(now time.Time) int {
	if t.cap > 0 && (t.estimate > 0 && t.estimate <= t.cap || now.After(t.until)) {
		t.cap = 0
	}
	if t.cap > 0 && (t.estimate == 0 || t.cap < t.estimate) {
		return t.cap
	}
	return t.estimate
}
