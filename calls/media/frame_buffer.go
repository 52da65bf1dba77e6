package media

import (
	"slices"
	"time"

	"github.com/pion/rtp"
)

// Video jitter buffer limits.
const (
	// maxVideoPackets: a hole this far behind the newest packet is given up on at once.
	maxVideoPackets = 1000
	// defaultNACKWait is how long a hole is waited for before any repair time has been measured.
	defaultNACKWait = 100 * time.Millisecond
	minNACKWait     = 30 * time.Millisecond
	// maxNACKWait bounds the wait. Behind a standing queue at a bottleneck (a 300 kbit/s tbf cap
	// with 470 ms of queue, calls/nettest) a retransmission takes the queue's length to come: with
	// a 250 ms bound the buffer gave up on holes the retransmission was about to fill, asked for a
	// keyframe, and the full-size keyframe overflowed the queue again (the runs that froze over 1 s
	// had 5–19 such late repairs and 5–11 keyframe requests; the others 0–4 and none).
	maxNACKWait = 600 * time.Millisecond
	fillHistory = 16
	// givenUpHistory is how many given-up packets are remembered, so that a repair arriving after
	// the wait still teaches the buffer how long repairs take.
	givenUpHistory = 256
)

// encodedFrame is one complete video frame out of the buffer.
type encodedFrame struct {
	ts        uint32
	data      []byte // depayloaded, ready for the decoder
	keyframe  bool
	afterLoss bool // frames before this one were given up on: the decoder's references may be gone
	packets   int
	firstSeen time.Time // arrival of its first packet
}

type videoPacket struct {
	ts      uint32
	marker  bool
	start   bool
	body    []byte
	arrival time.Time
}

// depayFunc strips a codec's payload header and says whether the packet starts a frame.
type depayFunc func(payload []byte) (body []byte, start bool, err error)

// frameBuffer is the video jitter buffer. It emits a frame the moment its last packet (the RTP
// marker) arrives if every packet from the frame's start is here and all earlier frames are out: no
// added delay in order. A hole holds later frames back while NACK retransmission has a chance to fill
// it, bounded by an adaptive wait (1.5 × the slowest recent repair plus twice the jitter, 30–250 ms);
// after that the buffer skips to the next frame start and marks that frame afterLoss.
type frameBuffer struct {
	depay   depayFunc
	pkts    map[int64]*videoPacket
	seqs    seqUnwrapper
	tss     tsUnwrapper
	jit     jitterEstimator
	started bool
	next    int64 // extended sequence number where the next frame starts
	highest int64
	loss    bool
	gapAt   time.Time // when the current hole was first seen with packets after it
	fills   []time.Duration
	givenUp []givenUpPacket // ring of the last givenUpHistory packets given up on
	stats   ReceiverStats
}

// givenUpPacket is a missing packet the buffer stopped waiting for, and when its hole was seen.
type givenUpPacket struct {
	seq   int64
	gapAt time.Time
}

func newFrameBuffer(depay depayFunc) *frameBuffer {
	return &frameBuffer{depay: depay, pkts: make(map[int64]*videoPacket), jit: jitterEstimator{clockRate: 90000}}
}

// push adds a packet and returns the frames it completes, in order.
func (b *frameBuffer) push(p *rtp.Packet, now time.Time) []encodedFrame {
	b.stats.PacketsReceived++
	b.stats.BytesReceived += uint64(len(p.Payload))
	b.stats.LastPacket = now
	seq := b.seqs.unwrap(p.SequenceNumber)
	if !b.started || seq > b.next+maxVideoPackets*4 || seq < b.next-maxVideoPackets*4 {
		if b.started {
			b.stats.Resyncs++
			b.loss = true
		}
		clear(b.pkts)
		b.started, b.next, b.highest, b.gapAt = true, seq, seq, time.Time{}
	}
	if seq < b.next {
		b.stats.PacketsLate++
		b.lateRepair(seq, now)
		return nil
	}
	if _, dup := b.pkts[seq]; dup {
		b.stats.PacketsDuplicate++
		return nil
	}
	body, start, err := b.depay(p.Payload)
	if err != nil {
		b.stats.DecodeErrors++
		body, start = nil, false // keep the slot so the hole is not waited for; the frame is lost
	}
	b.jit.observe(b.tss.unwrap(p.Timestamp), now)
	b.stats.Jitter = b.jit.jitter()
	b.pkts[seq] = &videoPacket{ts: p.Timestamp, marker: p.Marker, start: start,
		body: append([]byte(nil), body...), arrival: now}
	b.highest = max(b.highest, seq)
	return b.assemble(now, nil)
}

// poll gives up on holes whose wait is over; the receiver calls it on a short timer.
func (b *frameBuffer) poll(now time.Time) []encodedFrame {
	if !b.started {
		return nil
	}
	return b.assemble(now, nil)
}

func (b *frameBuffer) nackWait() time.Duration {
	if len(b.fills) == 0 {
		return defaultNACKWait
	}
	w := b.slowestRepair()*3/2 + 2*b.jit.jitter()
	return min(max(w, minNACKWait), maxNACKWait)
}

type frameState int

const (
	frameComplete frameState = iota + 1
	frameWaiting             // every packet so far is here; the rest has not arrived yet
	frameHole                // a packet inside the frame is missing and later ones are here
)

func (b *frameBuffer) assemble(now time.Time, out []encodedFrame) []encodedFrame {
	for {
		head, ok := b.pkts[b.next]
		if ok && !head.start {
			// The start of this frame is gone (or undecodable): nothing to wait for.
			if !b.skipToNextStart() {
				return out
			}
			continue
		}
		if ok {
			end, state := b.frameEnd(b.next, head)
			if state == frameComplete {
				out = append(out, b.emit(end, now))
				continue
			}
			if state == frameWaiting {
				return out
			}
		} else if b.highest <= b.next {
			return out
		}
		// A hole with packets after it. A complete keyframe after it makes the frames before it
		// worthless: go on from there at once (after a congestion hold the sender restarts with
		// one, and retransmissions of what it held were never sent).
		if key, ok := b.completeKeyframeAfterNext(); ok {
			if b.gapAt.IsZero() {
				b.gapAt = now
			}
			b.skipTo(key)
			continue
		}
		// Otherwise wait for a retransmission, up to the NACK wait.
		if b.gapAt.IsZero() {
			b.gapAt = now
		}
		b.stats.TargetDelay = b.nackWait()
		if now.Sub(b.gapAt) < b.stats.TargetDelay && b.highest-b.next < maxVideoPackets {
			return out
		}
		if !b.skipToNextStart() {
			return out
		}
	}
}

// frameEnd walks from a frame's first packet (head, at start) to its marker.
func (b *frameBuffer) frameEnd(start int64, head *videoPacket) (int64, frameState) {
	for s := start; s <= b.highest; s++ {
		p, ok := b.pkts[s]
		if !ok {
			return 0, frameHole
		}
		if p.ts != head.ts {
			return s - 1, frameComplete // the sender did not set the marker; the next frame has begun
		}
		if p.marker {
			return s, frameComplete
		}
	}
	return 0, frameWaiting
}

func (b *frameBuffer) emit(end int64, now time.Time) encodedFrame {
	head := b.pkts[b.next]
	f := encodedFrame{ts: head.ts, afterLoss: b.loss, firstSeen: head.arrival}
	for s := b.next; s <= end; s++ {
		f.data = append(f.data, b.pkts[s].body...)
		f.packets++
		delete(b.pkts, s)
	}
	f.keyframe = isVP8Keyframe(f.data)
	if !b.gapAt.IsZero() {
		b.recordFill(now.Sub(b.gapAt))
		b.gapAt = time.Time{}
	}
	b.next, b.loss = end+1, false
	return f
}

// slowestRepair is the longest a recent hole took to fill (0 before any).
func (b *frameBuffer) slowestRepair() time.Duration {
	if len(b.fills) == 0 {
		return 0
	}
	return slices.Max(b.fills)
}

// reaskAfter is how long after asking for a keyframe to ask again: keyframeRetry, or 1.25 × the
// slowest recent repair when repairs take longer (a round trip behind a standing queue) — asking
// again before the first answer can arrive only sends another keyframe into the same queue.
func (b *frameBuffer) reaskAfter() time.Duration {
	return max(keyframeRetry, b.slowestRepair()*5/4)
}

// recordFill remembers how long a hole took to fill.
func (b *frameBuffer) recordFill(d time.Duration) {
	b.fills = append(b.fills, d)
	if len(b.fills) > fillHistory {
		b.fills = b.fills[1:]
	}
}

// lateRepair counts a packet that arrived after its hole was given up on as a fill of that length
// (once), so the wait grows to what repairs take on this path.
func (b *frameBuffer) lateRepair(seq int64, now time.Time) {
	for i, g := range b.givenUp {
		if g.seq == seq {
			b.recordFill(now.Sub(g.gapAt))
			b.givenUp = slices.Delete(b.givenUp, i, i+1)
			return
		}
	}
}

// skipToNextStart gives up on the frame at next: it drops everything up to the first later packet
// that starts a different frame. It reports false (and drops nothing) when no such packet is here.
func (b *frameBuffer) skipToNextStart() bool {
	head, hasHead := b.pkts[b.next]
	for s := b.next + 1; s <= b.highest; s++ {
		p, ok := b.pkts[s]
		if !ok || !p.start || (hasHead && p.ts == head.ts) {
			continue
		}
		b.skipTo(s)
		return true
	}
	return false
}

// completeKeyframeAfterNext finds the first keyframe after next whose packets are all here.
func (b *frameBuffer) completeKeyframeAfterNext() (int64, bool) {
	for s := b.next + 1; s <= b.highest; s++ {
		p, ok := b.pkts[s]
		if !ok || !p.start || !isVP8Keyframe(p.body) {
			continue
		}
		if _, state := b.frameEnd(s, p); state == frameComplete {
			return s, true
		}
	}
	return 0, false
}

// skipTo drops everything before the frame that starts at s; the packets missing there are lost
// (and remembered, see lateRepair).
func (b *frameBuffer) skipTo(s int64) {
	gapAt := b.gapAt // zero when the frame's start was gone: no wait, nothing to learn
	for d := b.next; d < s; d++ {
		if _, ok := b.pkts[d]; ok {
			delete(b.pkts, d)
			continue
		}
		b.stats.PacketsLost++
		if !gapAt.IsZero() {
			if len(b.givenUp) == givenUpHistory {
				b.givenUp = b.givenUp[1:]
			}
			b.givenUp = append(b.givenUp, givenUpPacket{seq: d, gapAt: gapAt})
		}
	}
	b.next, b.loss, b.gapAt = s, true, time.Time{}
}
