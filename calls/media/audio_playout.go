package media

import (
	"math"
	"time"

	"github.com/pion/rtp"
)

// playAction is what the audio receiver does for one 20 ms playout slot.
type playAction int

const (
	playUnknown playAction = iota
	playDecode             // decode the packet due now
	playFEC                // the packet due now is lost; rebuild it from the next packet's in-band FEC
	playConceal            // nothing usable: packet-loss concealment (also DTX gaps and underruns)
)

func (a playAction) String() string {
	switch a {
	case playDecode:
		return "decode"
	case playFEC:
		return "fec"
	case playConceal:
		return "conceal"
	}
	return "unknown"
}

const (
	// resyncPackets: a sequence jump larger than this restarts the buffer (a new stream).
	resyncPackets = 1000
	// maxAudioPackets bounds memory; older packets go first.
	maxAudioPackets = 200
	// shrinkWindow is how many slots the buffer watches before dropping one frame of excess delay.
	shrinkWindow = 50
	// maxDTXGapFrames: a timestamp gap longer than this (sender paused) is skipped, not concealed.
	maxDTXGapFrames = 10
	// dtxMaxBytes: an Opus packet this small is a DTX (silence) frame.
	dtxMaxBytes = 2
	// shedSpeechAfter: excess delay is shed in silence; only after this many windows in a row with
	// excess and no silence to shed it in (a stream without DTX pauses) does a speech frame go.
	shedSpeechAfter = 5
)

type audioPacket struct {
	ts      int64
	payload []byte
}

// audioPlayout is the audio jitter buffer. Packets go in as they arrive; every 20 ms the receiver
// asks for the next slot. In-order packets are played the slot after they arrive. A missing packet
// with later ones present is lost (FEC from the next one if it is here, else PLC), after one slot of
// waiting while the buffer is shallower than the jitter-derived target (it may only be reordered).
// An empty buffer is an underrun: conceal and wait, which adds one frame of delay; packets found
// missing after underruns are skipped, not concealed again. When the buffer has held more than the
// target for a whole window, one frame of delay is taken back out: a silent frame (DTX, or after a
// quiet one on a stream without DTX) is skipped, and only when none came for shedSpeechAfter windows
// is a speech frame dropped. Dropping speech would cut a syllable and put the decoder out of step.
type audioPlayout struct {
	pkts    map[int64]audioPacket
	seqs    seqUnwrapper
	tss     tsUnwrapper
	jit     jitterEstimator
	started bool
	next    int64 // extended sequence number due at the next slot
	nextTS  int64
	highest int64

	windowTicks int
	minAhead    int64
	concealRun  uint64 // concealed slots since the last decoded or FEC one
	stalled     int64  // underrun slots in a row (next not advanced)
	waitedFor   int64  // the missing packet last given an extra slot to arrive
	// reorder is how far behind the newest packet late ones have arrived lately (the deepest this
	// window, or last window's less one); reorderWindow the deepest in the current window.
	reorder, reorderWindow int64

	start   startGauge // the packets before the first slot
	playing bool       // the first slot has been asked for
	// excess is how many frames of delay the windows found over the target and not yet shed.
	excess    int
	shed      [][]byte // packets shed since the last slot: decode them, but do not play them
	sawDTX    bool     // the stream sends DTX frames, so silence is seen in the packets
	lastQuiet bool     // the last decoded frame was quiet (see frameQuiet)

	stats ReceiverStats
}

func newAudioPlayout() *audioPlayout {
	return &audioPlayout{pkts: make(map[int64]audioPacket), jit: jitterEstimator{clockRate: SampleRate}, minAhead: math.MaxInt64, waitedFor: -1}
}

func (b *audioPlayout) push(p *rtp.Packet, arrival time.Time) {
	b.stats.PacketsReceived++
	b.stats.BytesReceived += uint64(len(p.Payload))
	seq := b.seqs.unwrap(p.SequenceNumber)
	ts := b.tss.unwrap(p.Timestamp)
	b.jit.observe(ts, arrival)
	b.stats.Jitter = b.jit.jitter()
	if !b.started || seq > b.next+resyncPackets || seq < b.next-resyncPackets {
		if b.started {
			b.stats.Resyncs++
		}
		clear(b.pkts)
		b.started, b.next, b.nextTS, b.highest = true, seq, ts, seq
	}
	if !b.playing {
		b.start.observe(ts, arrival, seq < b.highest)
	}
	if len(p.Payload) <= dtxMaxBytes {
		b.sawDTX = true
	}
	if seq < b.highest {
		// It arrived after a later packet: the buffer must keep at least that many ahead.
		b.reorderWindow = max(b.reorderWindow, b.highest-seq)
		b.reorder = max(b.reorder, b.reorderWindow)
	}
	if seq < b.next {
		b.stats.PacketsLate++
		return
	}
	if _, dup := b.pkts[seq]; dup {
		b.stats.PacketsDuplicate++
		return
	}
	b.pkts[seq] = audioPacket{ts: ts, payload: append([]byte(nil), p.Payload...)}
	b.highest = max(b.highest, seq)
	for len(b.pkts) > maxAudioPackets {
		delete(b.pkts, b.next)
		b.next++
		b.stats.FramesDropped++
	}
}

// targetAhead is how many packets beyond the one playing the buffer should keep: enough to ride out
// three times the measured jitter, and at least the deepest recent reordering (a packet that
// arrives r packets behind the newest needs r buffered ahead of it to be played in time).
func (b *audioPlayout) targetAhead() int64 {
	return max(int64(math.Ceil(3*b.jit.j/FrameDuration.Seconds())), b.reorder)
}

// slot decides the next 20 ms of audio. data is the packet to decode (or to take FEC from).
func (b *audioPlayout) slot() (playAction, []byte) {
	b.playing = true
	act, data := b.take()
	switch act {
	case playDecode:
		b.stats.FramesDecoded++
	case playFEC:
		b.stats.FramesFEC++
	case playConceal:
		b.stats.FramesConcealed++
		b.concealRun++
	}
	if act != playConceal {
		b.stats.LongestConcealRun = max(b.stats.LongestConcealRun, b.concealRun)
		b.concealRun = 0
	}
	b.shrink()
	return act, data
}

func (b *audioPlayout) take() (playAction, []byte) {
	if p, ok := b.pkts[b.next]; ok {
		gap := (p.ts - b.nextTS) / FrameSamples
		if gap > maxDTXGapFrames || gap < 0 {
			b.nextTS = p.ts
			gap = 0
		}
		if gap > 0 {
			b.nextTS += FrameSamples // DTX or a sender pause: conceal until the packet is due
			return playConceal, nil
		}
		delete(b.pkts, b.next)
		b.next++
		b.nextTS = p.ts + FrameSamples
		b.stalled = 0
		if b.shedExcess(p) {
			return b.take()
		}
		return playDecode, p.payload
	}
	if b.highest > b.next {
		// The packet due is missing and later ones are here. Slots that underran while it was
		// missing already stood in for that many missing packets: skip them rather than conceal
		// them a second time (after an outage this would add its whole length as delay).
		if skip := min(b.earliest()-b.next, b.stalled); skip > 0 {
			b.stats.PacketsLost += uint64(skip)
			b.next += skip
			b.nextTS += skip * FrameSamples
			b.stalled = 0
			return b.take()
		}
		// Reordered rather than lost, perhaps: while the buffer holds less than the jitter calls
		// for, wait one slot for it (one frame of delay) before giving it up — unless the last
		// slot was concealed too, so waiting never lengthens a gap.
		if b.waitedFor != b.next && b.concealRun == 0 && b.highest-b.next < b.targetAhead() {
			b.waitedFor = b.next
			return playConceal, nil
		}
		b.stats.PacketsLost++
		b.next++
		b.nextTS += FrameSamples
		if p, ok := b.pkts[b.next]; ok {
			return playFEC, p.payload
		}
		return playConceal, nil
	}
	b.stats.Underruns++
	b.stalled++
	return playConceal, nil
}

// earliest is the lowest sequence number buffered (every buffered packet is at or after next).
func (b *audioPlayout) earliest() int64 {
	first := b.highest
	for seq := range b.pkts {
		first = min(first, seq)
	}
	return first
}

// shedExcess sheds p (already taken off the buffer) when the buffer holds excess delay and p is
// silence — or excess has waited shedSpeechAfter windows for silence — so the slot plays the packet
// after it.
func (b *audioPlayout) shedExcess(p audioPacket) bool {
	silent := len(p.payload) <= dtxMaxBytes || !b.sawDTX && b.lastQuiet
	if b.excess == 0 || !silent && b.excess < shedSpeechAfter || b.highest-b.next+1 <= b.targetAhead() {
		return false
	}
	if _, ok := b.pkts[b.next]; !ok {
		return false
	}
	b.excess--
	b.stats.FramesDropped++
	b.shed = append(b.shed, p.payload)
	return true
}

// takeShed returns the packets shed since the last call. The receiver decodes them without playing
// them, so its decoder's state stays what the sender's encoder expects and the audio after a shed
// frame is decoded exactly as if nothing had been dropped.
func (b *audioPlayout) takeShed() [][]byte {
	shed := b.shed
	b.shed = nil
	return shed
}

// decoded tells the buffer whether the frame just decoded was quiet (see frameQuiet).
func (b *audioPlayout) decoded(quiet bool) { b.lastQuiet = quiet }

func (b *audioPlayout) shrink() {
	ahead := max(b.highest-b.next+1, 0)
	if _, ok := b.pkts[b.next]; !ok {
		ahead = 0
	}
	b.minAhead = min(b.minAhead, ahead)
	b.windowTicks++
	if b.windowTicks < shrinkWindow {
		return
	}
	if b.minAhead > b.targetAhead() {
		b.excess++
	} else {
		b.excess = 0
	}
	b.stats.TargetDelay = time.Duration(b.targetAhead()+1) * FrameDuration
	b.windowTicks, b.minAhead = 0, math.MaxInt64
	// Reordering that stopped lets the target come down one packet per window.
	b.reorder = max(b.reorderWindow, b.reorder-1)
	b.reorderWindow = 0
}
