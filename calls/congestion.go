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
// queue is before it), counted on the wire (see wireOverhead) and scaled to the media payload the
// target is for. GCC then takes over.
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
// is dropped when the queue overflows. So for as long as the queue is (at most maxHold: the
// newest packet's wait, or what has been sent since it, at the bottleneck's rate — see queueAhead)
// the video sender holds its frames, the video packets still leaving the pacer are dropped, and
// retransmissions are not sent (they would repair frames the receiver has given up on; see
// queueInterceptor.mayWrite); then the video restarts with a keyframe, at the resolution the new
// rate calls for, into an emptier queue. Feedback on packets sent before the hold ended is not
// judged again. If the packets sent after it still meet a queue, the cut left the call at about the
// link's rate: it is cut again, deeper, without a hold (see stillStanding). While a queue stands,
// each lost packet is retransmitted at most once per round trip (resendPolicy) and a keyframe the
// receiver asks for goes out small (pipeline.keyframeRequested).
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
	// A queue building fast, seen sooner: at 300 kbit/s only ~5 video packets come out per 150 ms,
	// so the standing window reaches back to packets from before the queue, and the ramp's 14
	// packets span ~450 ms and the knee; calls/nettest saw the newest wait climb 72, 100, 156, 185,
	// 241 ms over five feedbacks before either test cut. So: the newest packet's wait rose by at
	// least risingStep from each of risingFeedbacks feedbacks to the next, to at least risingMin,
	// and the packets that arrived in the last risingWindow (at least risingPackets) came out at
	// most risingRateRatio × the rate they went in at.
	risingFeedbacks = 3
	risingStep      = 15 * time.Millisecond
	risingMin       = 80 * time.Millisecond
	risingWindow    = 150 * time.Millisecond
	risingPackets   = 6
	risingRateRatio = 0.5
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
	// A queue still standing (at least stillStanding) for the packets sent after a cut's hold
	// shows the cut left the call at about the link's rate: at 0.85 × the link a 400 ms queue
	// takes 2.7 s to drain (calls/nettest saw one stand for 2 s after a cut, at an in/out ratio of
	// 0.8–1.3 — no longer a queue by the first test — and the video froze behind it). It is cut
	// again, without that test, to the rate that drains it in about drainTime (1 − queue/drainTime
	// of the rate the packets come out at; the sender's rate scaled by minDrainScale–cutFactor).
	// Only within capHold of a tested cut, so a link without a bottleneck is never cut this way.
	stillStanding = 100 * time.Millisecond
	drainTime     = time.Second
	minDrainScale = 0.6
	// While a queue of at least resendQueue stands, a packet is retransmitted at most once per
	// queue + resendMargin (see resendPolicy).
	resendQueue  = 60 * time.Millisecond
	resendMargin = 100 * time.Millisecond
	// congestedQueue: a keyframe asked for while a packet has waited this long goes out small.
	congestedQueue = 60 * time.Millisecond
	// wireOverhead is what each RTP packet carries on the wire besides the RTP header and
	// payload the detector is told about: IPv4 (20) + UDP (8) + the SRTP tag (16 with AES-GCM,
	// pion's first choice). A bottleneck's rate counts it, the encoders' target does not: a cut
	// to 0.85 × the RTP rate left a call of small packets (audio) at about the link's rate.
	wireOverhead = 44
)

type sentPacket struct {
	at      time.Time
	size    int // on the wire (see wireOverhead)
	payload int // the media payload
}

type ackedPacket struct {
	sent    time.Duration // since the detector's epoch
	delay   time.Duration // arrival (receiver clock) minus send (our clock): only differences count
	arrival time.Duration // receiver clock
	size    int           // on the wire
	payload int
	seen    time.Time // when its feedback came
}

// cutRequest is what the detector asks of the sender.
type cutRequest struct {
	bps   int           // cap the target at this (a cut after the rate test), or
	scale float64       // scale the current target by this (a queue still standing after one)
	hold  time.Duration // and hold the video this long (0: go on)
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
	tested  time.Time     // the last cut that passed the in/out rate test
	drained time.Time     // when that cut's hold ended: the queue should be gone for what is sent after
	recut   time.Duration // the queue at the last re-cut since (0: none)
	// standing is the queue the last feedback showed (every packet of its window waited that
	// long).
	standing time.Duration
	newest   time.Duration                  // the wait of the newest packet in that feedback
	rising   [risingFeedbacks]time.Duration // newest of the last feedbacks, oldest first
	hold     time.Time                      // until then a video stream's packets and retransmissions are dropped
	onCut    func(cutRequest)
}

func newQueueDetector(onCut func(cutRequest)) *queueDetector {
	return &queueDetector{epoch: time.Now(), sent: make(map[int64]sentPacket), onCut: onCut}
}

// unwrap extends a 16-bit transport sequence number to the one nearest the highest sent.
func (d *queueDetector) unwrap(seq uint16) int64 {
	if !d.started {
		return int64(seq)
	}
	return d.highest + int64(int16(seq-uint16(d.highest)))
}

// onSent records a packet as it leaves: rtpSize is its RTP header and payload, payload the media
// payload alone.
func (d *queueDetector) onSent(seq uint16, rtpSize, payload int, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.unwrap(seq)
	if !d.started || s > d.highest {
		d.highest, d.started = s, true
	}
	d.sent[s] = sentPacket{at: at, size: rtpSize + wireOverhead, payload: payload}
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
		d.acks = append(d.acks, ackedPacket{sent: p.at.Sub(d.epoch), delay: a.at - p.at.Sub(d.epoch), arrival: a.at, size: p.size, payload: p.payload, seen: now})
	}
	drop := 0
	for drop < len(d.acks) && now.Sub(d.acks[drop].seen) > queueBaseWindow {
		drop++
	}
	d.acks = d.acks[drop:]
	c, ok := d.verdict(now)
	if ok {
		c.hold = min(c.hold, maxHold)
		d.lastCut, d.hold, d.drained = now, now.Add(c.hold), now.Add(c.hold)
	}
	onCut := d.onCut
	d.mu.Unlock()
	if ok && onCut != nil {
		onCut(c)
	}
}

// risingFast says whether the newest packet's wait rose by at least risingStep from each of the
// last risingFeedbacks feedbacks to the next, to at least risingMin.
func (d *queueDetector) risingFast() bool {
	for i := 1; i < len(d.rising); i++ {
		if d.rising[i]-d.rising[i-1] < risingStep {
			return false
		}
	}
	return d.rising[len(d.rising)-1] >= risingMin
}

// queued is the longest wait the last feedback showed: the queue's length, or how far it has
// built.
func (d *queueDetector) queued() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return max(d.standing, d.newest)
}

// resendPolicy says how a NACKed packet may be sent again now: not at all during a cut's hold
// (see queueDetector), and while a queue stands at most once per spacing (0: no limit) — the
// receiver asks up to media.MaxNACKsPerPacket times media.NACKInterval apart, which on a clean
// link covers a lost request or retransmission, but behind a standing queue all its asks go out
// before the first answer can arrive, and each answer joined the queue (calls/nettest saw a 400 ms
// queue stand for 2 s after a cut while ~26 lost packets were sent four times each).
func (d *queueDetector) resendPolicy(now time.Time) (hold bool, spacing time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Before(d.hold) {
		return true, 0
	}
	if d.standing < resendQueue {
		return false, 0
	}
	return false, d.standing + resendMargin
}

// holding says whether a cut's hold is on.
func (d *queueDetector) holding(now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return now.Before(d.hold)
}

// verdict decides whether the queue stands, and if so the cut.
func (d *queueDetector) verdict(now time.Time) (cutRequest, bool) {
	if len(d.acks) < queueMinPackets {
		return cutRequest{}, false
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
	d.standing, d.newest = queue, byArrival[0].delay-base
	copy(d.rising[:], d.rising[1:])
	d.rising[len(d.rising)-1] = d.newest
	if now.Sub(d.lastCut) < cutHold {
		return cutRequest{}, false
	}
	// The queue as the newest packet met it: the one the video must wait out after a cut.
	hold := max(queue, d.newest)
	if !d.drained.IsZero() && !d.sentAfter(byArrival[:n], d.drained) {
		return cutRequest{}, false // what these packets met is what the last cut already answered
	}
	if !d.tested.IsZero() && now.Sub(d.tested) <= capHold && queue >= stillStanding {
		// A lower rate drains it, within about drainTime; no hold: nothing was lost, the video
		// goes on as it is. After a re-cut, another only if the queue is not shrinking from
		// what the packets sent just after it met.
		if d.recut > 0 && queue < d.recut*9/10 {
			return cutRequest{}, false
		}
		scale, out, ok := drainScale(byArrival[:n], queue)
		if ok {
			d.recut = max(hold, d.queueAhead(byArrival[0].sent, out))
		}
		return cutRequest{scale: scale}, ok
	}
	if queue < d.standingThreshold(byArrival, newest) && d.risingFast() {
		// The packets of the last risingWindow must have come out at most risingRateRatio × the
		// rate they went in at; the rate the ones that queued came out at is the bottleneck's
		// (the others may have come out in a burst the bottleneck allowed: calls/nettest measured
		// 680–780 kbit/s over all of them behind a 300 kbit/s tbf).
		var recent, queued []ackedPacket
		for _, a := range byArrival {
			if a.arrival < newest-risingWindow {
				break
			}
			recent = append(recent, a)
			if a.delay-base >= rampResidual {
				queued = append(queued, a)
			}
		}
		if len(recent) >= risingPackets && len(queued) >= risingPackets/2 {
			if in, out, ok := inOutRates(recent); ok && in > 0 && out <= risingRateRatio*in {
				return d.testedCut(now, queued, d.newest)
			}
		}
	}
	if queue < d.standingThreshold(byArrival, newest) {
		if len(byArrival) < rampPackets {
			return cutRequest{}, false
		}
		ramp := byArrival[:rampPackets]
		slope, residual := fitDelays(ramp)
		var span time.Duration
		for _, a := range ramp {
			span = max(span, ramp[0].sent-a.sent)
		}
		rise := time.Duration(slope * float64(span))
		if slope < rampSlope || residual > rampResidual || rise < rampRise || ramp[0].delay-base < rampRise {
			return cutRequest{}, false
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
			return cutRequest{}, false
		}
		return d.testedCut(now, queued, queue)
	}
	return d.testedCut(now, byArrival[:n], hold)
}

// testedCut is cutRate with the in/out rate test; a cut that passes it lets re-cuts of a queue
// still standing follow for capHold.
func (d *queueDetector) testedCut(now time.Time, pkts []ackedPacket, queue time.Duration) (cutRequest, bool) {
	bps, wire, ok := cutRate(pkts, cutFactor, maxRateRatio)
	if !ok {
		return cutRequest{}, false
	}
	d.tested, d.recut = now, 0
	return cutRequest{bps: bps, hold: max(queue, d.queueAhead(pkts[0].sent, wire))}, true
}

// drainScale is how much to scale the sender's rate by so that a queue standing for pkts (newest
// arrival first) drains in about drainTime: the packets came out at the link's rate (out, also
// returned) and went in at the sender's, and the sender must go to (1 − queue/drainTime) × the
// link's.
func drainScale(pkts []ackedPacket, queue time.Duration) (scale, out float64, ok bool) {
	in, out, ok := inOutRates(pkts)
	if !ok || in <= 0 {
		return 0, 0, false
	}
	want := (1 - queue.Seconds()/drainTime.Seconds()) * out
	// The sending rate over a short window swings with bursts (a keyframe's packets leave at
	// once: calls/nettest saw 0.2 and 0.4), so the scale is bounded below too.
	return min(max(want/in, minDrainScale), cutFactor), out, true
}

// queueAhead is how long what was sent after the packet sent at after (since the epoch) takes to
// leave a bottleneck of wire bit/s: the queue a packet sent now meets, if none of it was lost. The
// newest feedback is a round trip old, and while the sender is over the link the queue grows
// meanwhile (calls/nettest: a cut held the video for the 145 ms the newest packet had waited,
// and its keyframe met a 400 ms queue).
func (d *queueDetector) queueAhead(after time.Duration, wire float64) time.Duration {
	if wire <= 0 {
		return 0
	}
	bits := 0
	for _, p := range d.sent {
		if p.at.Sub(d.epoch) > after {
			bits += p.size * 8
		}
	}
	return time.Duration(float64(bits) / wire * float64(time.Second))
}

// sentAfter says whether every packet of pkts left after t. The feedback on packets sent before a
// cut's hold ended still shows the queue they met; only later ones say whether it drained.
func (d *queueDetector) sentAfter(pkts []ackedPacket, t time.Time) bool {
	for _, a := range pkts {
		if d.epoch.Add(a.sent).Before(t) {
			return false
		}
	}
	return true
}

// cutRate is the cut for the packets pkts (newest arrival first): factor × the rate they came out
// at (wire, in bit/s, also returned) × the share of it that was media payload — if that rate is
// under ratio × the rate they went in at (ratio 0: no such test).
func cutRate(pkts []ackedPacket, factor, ratio float64) (bps int, wire float64, ok bool) {
	in, out, ok := inOutRates(pkts)
	if !ok {
		return 0, 0, false
	}
	if ratio > 0 && in > 0 && out > ratio*in {
		return 0, 0, false
	}
	bits, payloadBits := 0, 0
	for _, a := range pkts[:len(pkts)-1] {
		bits += a.size
		payloadBits += a.payload
	}
	return int(factor * out * float64(payloadBits) / float64(bits)), out, true
}

// inOutRates are the wire rates (bit/s) at which the packets pkts (newest arrival first) went in
// (sent; 0 if all at once) and came out (arrived): the oldest arrival starts the clock, so its
// bits are not counted.
func inOutRates(pkts []ackedPacket) (in, out float64, ok bool) {
	if len(pkts) < 2 {
		return 0, 0, false
	}
	firstIn, lastIn := pkts[0].sent, pkts[0].sent
	for _, a := range pkts {
		firstIn, lastIn = min(firstIn, a.sent), max(lastIn, a.sent)
	}
	bits := 0
	for _, a := range pkts[:len(pkts)-1] {
		bits += a.size * 8
	}
	span := pkts[0].arrival - pkts[len(pkts)-1].arrival
	if span <= 0 || bits == 0 {
		return 0, 0, false
	}
	out = float64(bits) / span.Seconds()
	if d := lastIn - firstIn; d > 0 {
		in = float64(bits) / d.Seconds()
	}
	return in, out, true
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
