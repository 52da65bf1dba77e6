package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// vp8Pkt builds a VP8 RTP packet: a one-byte payload descriptor (S bit on frame starts) and a body
// whose first byte marks keyframes the way VP8's frame tag does.
func vp8Pkt(seq uint16, ts uint32, start, marker, key bool, fill byte) *rtp.Packet {
	desc := byte(0x00)
	if start {
		desc = 0x10
	}
	body := []byte{fill | 1, fill, fill}
	if start && key {
		body[0] = fill &^ 1
	}
	return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: marker},
		Payload: append([]byte{desc}, body...)}
}

// stream makes frames of n packets each, starting at seq and ts, 3000 ticks (33 ms) apart.
func stream(seq uint16, ts uint32, frames, n int) [][]*rtp.Packet {
	var out [][]*rtp.Packet
	for f := 0; f < frames; f++ {
		var pk []*rtp.Packet
		for i := 0; i < n; i++ {
			pk = append(pk, vp8Pkt(seq, ts, i == 0, i == n-1, f == 0, byte(f*4)))
			seq++
		}
		ts += 3000
		out = append(out, pk)
	}
	return out
}

func TestFrameBufferInOrderHasNoDelay(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  uint16
		ts   uint32
	}{{"plain", 100, 1000}, {"sequence wrap", 65530, 1000}, {"timestamp wrap", 100, 0xffffffff - 4000}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFrameBuffer(depayVP8)
			now := time.Unix(0, 0)
			for f, pk := range stream(tc.seq, tc.ts, 6, 3) {
				for i, p := range pk {
					got := b.push(p, now)
					if i < len(pk)-1 && len(got) != 0 {
						t.Fatalf("frame %d emitted before its marker packet", f)
					}
					if i == len(pk)-1 {
						// The marker packet completes the frame in the same call: zero added delay.
						if len(got) != 1 || got[0].ts != pk[0].Timestamp || got[0].packets != 3 || got[0].afterLoss {
							t.Fatalf("frame %d: got %+v", f, got)
						}
						if got[0].keyframe != (f == 0) {
							t.Fatalf("frame %d keyframe=%v", f, got[0].keyframe)
						}
						if len(got[0].data) != 9 {
							t.Fatalf("frame %d: %d bytes, want 9 (descriptors stripped)", f, len(got[0].data))
						}
					}
				}
				now = now.Add(33 * time.Millisecond)
			}
			if st := b.stats; st.PacketsLost != 0 || st.PacketsLate != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestFrameBufferReorder(t *testing.T) {
	b := newFrameBuffer(depayVP8)
	fr := stream(10, 0, 3, 3)
	now := time.Unix(0, 0)
	order := []*rtp.Packet{fr[0][0], fr[0][2], fr[1][0], fr[0][1], fr[1][2], fr[2][0], fr[2][1], fr[1][1], fr[2][2]}
	var ts []uint32
	for _, p := range order {
		for _, f := range b.push(p, now) {
			if f.afterLoss {
				t.Fatal("reordering reported as loss")
			}
			ts = append(ts, f.ts)
		}
	}
	if len(ts) != 3 || ts[0] != 0 || ts[1] != 3000 || ts[2] != 6000 {
		t.Fatalf("frames out %v, want [0 3000 6000]", ts)
	}
}

func TestFrameBufferLossWaitsThenSkips(t *testing.T) {
	b := newFrameBuffer(depayVP8)
	fr := stream(500, 0, 4, 2)
	now := time.Unix(0, 0)
	b.push(fr[0][0], now)
	if got := b.push(fr[0][1], now); len(got) != 1 {
		t.Fatal("frame 0 not emitted")
	}
	// fr[1][1] is lost; frame 2 arrives complete and must wait behind the hole.
	b.push(fr[1][0], now)
	b.push(fr[2][0], now)
	if got := b.push(fr[2][1], now); len(got) != 0 {
		t.Fatal("frame 2 emitted past a hole without waiting for a retransmission")
	}
	if got := b.poll(now.Add(defaultNACKWait / 2)); len(got) != 0 {
		t.Fatal("gave up before the NACK wait")
	}
	got := b.poll(now.Add(defaultNACKWait))
	if len(got) != 1 || got[0].ts != 6000 || !got[0].afterLoss {
		t.Fatalf("after the wait: %+v, want frame 6000 marked afterLoss", got)
	}
	if b.stats.PacketsLost != 1 {
		t.Fatalf("lost %d, want 1", b.stats.PacketsLost)
	}
	// The retransmission arriving after the skip is late, not a new frame.
	if got := b.push(fr[1][1], now); len(got) != 0 || b.stats.PacketsLate != 1 {
		t.Fatalf("late packet: %+v, late=%d", got, b.stats.PacketsLate)
	}
	if got := b.push(fr[3][0], now); len(got) != 0 {
		t.Fatal("half frame emitted")
	}
	if got := b.push(fr[3][1], now); len(got) != 1 || got[0].afterLoss {
		t.Fatalf("frame after recovery: %+v", got)
	}
}

func TestFrameBufferRetransmissionFillsHole(t *testing.T) {
	b := newFrameBuffer(depayVP8)
	fr := stream(65534, 0, 3, 2) // the hole sits on the sequence wrap
	now := time.Unix(0, 0)
	b.push(fr[0][0], now)
	b.push(fr[0][1], now)
	b.push(fr[1][0], now)
	b.push(fr[2][0], now)
	b.push(fr[2][1], now)
	got := b.push(fr[1][1], now.Add(25*time.Millisecond))
	if len(got) != 2 || got[0].ts != 3000 || got[1].ts != 6000 || got[0].afterLoss || got[1].afterLoss {
		t.Fatalf("after retransmission: %+v", got)
	}
	if w := b.nackWait(); w < minNACKWait || w > 60*time.Millisecond {
		t.Fatalf("NACK wait %v after a 25 ms repair, want about 1.5×25 ms", w)
	}
}

func TestFrameBufferDuplicatesAndLostHead(t *testing.T) {
	b := newFrameBuffer(depayVP8)
	fr := stream(1, 0, 3, 3)
	now := time.Unix(0, 0)
	for _, p := range fr[0] {
		b.push(p, now)
		b.push(p, now)
	}
	if b.stats.PacketsDuplicate != 2 { // the third copy came after the frame was out: late
		t.Fatalf("duplicates %d, late %d", b.stats.PacketsDuplicate, b.stats.PacketsLate)
	}
	// Frame 1 loses its first packet: the rest cannot be decoded, frame 2 follows once the wait ends.
	b.push(fr[1][1], now)
	b.push(fr[1][2], now)
	for _, p := range fr[2] {
		b.push(p, now)
	}
	got := b.poll(now.Add(maxNACKWait))
	if len(got) != 1 || got[0].ts != 6000 || !got[0].afterLoss {
		t.Fatalf("got %+v", got)
	}
}

func FuzzFrameBuffer(f *testing.F) {
	f.Add([]byte{0x10, 0x00, 0x01, 0x80, 0x00, 0x02})
	f.Add([]byte{0x90, 0x80, 0x81, 0x00, 0x05, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newFrameBuffer(depayVP8)
		now := time.Unix(0, 0)
		for i := 0; i+3 <= len(data); i += 3 {
			seq := uint16(data[i])<<8 | uint16(data[i+1])
			p := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: uint32(data[i+2]) * 3000,
				Marker: data[i+2]&1 == 1}, Payload: data[i:]}
			b.push(p, now)
			now = now.Add(time.Duration(data[i+2]) * time.Millisecond)
			b.poll(now)
		}
	})
}

// Behind a standing queue repairs come after the wait; the buffer must learn that from the late
// arrivals and wait long enough for the next hole's repair.
func TestFrameBufferLearnsFromLateRepairs(t *testing.T) {
	b := newFrameBuffer(depayVP8)
	now := time.Unix(0, 0)
	fr := stream(100, 0, 5, 2)
	b.push(fr[0][0], now)
	b.push(fr[0][1], now)
	if r := b.reaskAfter(); r != keyframeRetry {
		t.Fatalf("keyframe re-ask after %v with no repairs seen, want %v", r, keyframeRetry)
	}
	const repair = 420 * time.Millisecond
	// hole repairs frame i's lost second packet after repair, with frame i+1 complete behind it, and
	// returns what the buffer put out just before the repair and with it.
	hole := func(i int) (before, with []encodedFrame) {
		b.push(fr[i][0], now)
		b.push(fr[i+1][0], now)
		b.push(fr[i+1][1], now)
		for w := time.Duration(0); w < repair; w += 5 * time.Millisecond {
			before = append(before, b.poll(now.Add(w))...)
		}
		with = b.push(fr[i][1], now.Add(repair))
		now = now.Add(repair + 10*time.Millisecond)
		return before, with
	}
	// The first hole is given up on after the default wait; its repair comes late.
	if before, with := hole(1); len(before) != 1 || !before[0].afterLoss || len(with) != 0 {
		t.Fatalf("first hole: %+v before the repair, %+v with it", before, with)
	}
	if w := b.nackWait(); w < repair || w > maxNACKWait {
		t.Fatalf("NACK wait %v after a late repair of %v, want at least that, at most %v", w, repair, maxNACKWait)
	}
	// A keyframe asked for is not asked for again before an answer could come back.
	if r := b.reaskAfter(); r < repair {
		t.Fatalf("keyframe asked again after %v, sooner than the %v repairs take", r, repair)
	}
	// The second hole is waited for and filled.
	if before, with := hole(3); len(before) != 0 || len(with) != 2 || with[0].afterLoss || with[1].afterLoss {
		t.Fatalf("second hole: %+v before the repair, %+v with it", before, with)
	}
}

// A complete keyframe after a hole ends the wait at once: the frames before it are worthless.
func TestFrameBufferKeyframeEndsWait(t *testing.T) {
	b := newFrameBuffer(depayVP8)
	now := time.Unix(0, 0)
	fr := stream(7, 0, 3, 2)
	key := stream(13, 9000, 1, 3)[0] // a keyframe (the first frame of a stream is one), 3 packets
	b.push(fr[0][0], now)
	b.push(fr[0][1], now)
	b.push(fr[1][0], now) // fr[1][1] lost, fr[2] lost entirely
	if got := b.push(key[0], now); len(got) != 0 {
		t.Fatalf("emitted %+v before the keyframe was complete", got)
	}
	b.push(key[2], now)
	if got := b.poll(now.Add(time.Millisecond)); len(got) != 0 {
		t.Fatalf("emitted %+v with a hole inside the keyframe", got)
	}
	got := b.push(key[1], now.Add(2*time.Millisecond))
	if len(got) != 1 || !got[0].keyframe || got[0].ts != 9000 || got[0].packets != 3 {
		t.Fatalf("got %+v, want the keyframe at once", got)
	}
	if b.stats.PacketsLost != 3 {
		t.Fatalf("lost %d, want 3", b.stats.PacketsLost)
	}
}
