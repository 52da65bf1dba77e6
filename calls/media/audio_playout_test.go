package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

func opusPkt(seq uint16, ts uint32) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts}, Payload: []byte{byte(seq), byte(seq >> 8)}}
}

// feed pushes packets i..j of a stream starting at seq0/ts0, 20 ms apart in arrival time.
func feed(b *audioPlayout, seq0 uint16, ts0 uint32, idx ...int) {
	for _, i := range idx {
		b.push(opusPkt(seq0+uint16(i), ts0+uint32(i)*FrameSamples), time.Unix(0, 0).Add(time.Duration(i)*FrameDuration))
	}
}

func wantSlot(t *testing.T, b *audioPlayout, act playAction, seq uint16) {
	t.Helper()
	got, data := b.slot()
	if got != act {
		t.Fatalf("slot: %v, want %v", got, act)
	}
	if act != playConceal && (len(data) != 2 || uint16(data[0])|uint16(data[1])<<8 != seq) {
		t.Fatalf("slot %v: packet %v, want seq %d", act, data, seq)
	}
}

func TestAudioPlayoutLossFECAndConceal(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  uint16
		ts   uint32
	}{{"plain", 10, 0}, {"sequence wrap", 65533, 0}, {"timestamp wrap", 10, 0xffffffff - 2*FrameSamples}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newAudioPlayout()
			s := tc.seq
			feed(b, s, tc.ts, 0, 1, 3, 6) // 2 lost (3 is here: FEC), 4 and 5 lost (conceal, then FEC from 6)
			wantSlot(t, b, playDecode, s)
			wantSlot(t, b, playDecode, s+1)
			wantSlot(t, b, playFEC, s+3)
			wantSlot(t, b, playDecode, s+3)
			wantSlot(t, b, playConceal, 0)
			wantSlot(t, b, playFEC, s+6)
			wantSlot(t, b, playDecode, s+6)
			// Empty: an underrun conceals and waits for the packet instead of skipping it.
			wantSlot(t, b, playConceal, 0)
			feed(b, s, tc.ts, 7)
			wantSlot(t, b, playDecode, s+7)
			st := b.stats
			if st.PacketsLost != 3 || st.FramesFEC != 2 || st.FramesConcealed != 2 || st.Underruns != 1 || st.FramesDecoded != 5 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestAudioPlayoutReorderDuplicateLate(t *testing.T) {
	b := newAudioPlayout()
	feed(b, 100, 0, 0, 2, 1, 1)
	wantSlot(t, b, playDecode, 100)
	wantSlot(t, b, playDecode, 101)
	wantSlot(t, b, playDecode, 102)
	feed(b, 100, 0, 0)
	if b.stats.PacketsDuplicate != 1 || b.stats.PacketsLate != 1 {
		t.Fatalf("stats %+v", b.stats)
	}
}

func TestAudioPlayoutDTXGap(t *testing.T) {
	b := newAudioPlayout()
	b.push(opusPkt(1, 0), time.Unix(0, 0))
	b.push(opusPkt(2, 3*FrameSamples), time.Unix(0, 0)) // the sender skipped two frames' time
	wantSlot(t, b, playDecode, 1)
	wantSlot(t, b, playConceal, 0)
	wantSlot(t, b, playConceal, 0)
	wantSlot(t, b, playDecode, 2)
	if b.stats.PacketsLost != 0 {
		t.Fatal("a timestamp gap without a sequence gap counted as loss")
	}
}

func TestAudioPlayoutShrinksExcessDelay(t *testing.T) {
	b := newAudioPlayout()
	// Ten packets arrive at once (a burst after a stall); then the stream continues steadily.
	for i := 0; i < 10; i++ {
		b.push(opusPkt(uint16(i), uint32(i*FrameSamples)), time.Unix(0, 0).Add(time.Duration(i)*FrameDuration))
	}
	next := 10
	for slot := 0; slot < 4*shrinkWindow; slot++ {
		b.slot()
		b.push(opusPkt(uint16(next), uint32(next*FrameSamples)), time.Unix(0, 0).Add(time.Duration(next)*FrameDuration))
		next++
	}
	if b.stats.FramesDropped < 3 {
		t.Fatalf("dropped %d frames of excess delay in 4 windows, want ≥ 3", b.stats.FramesDropped)
	}
	if b.stats.Underruns != 0 || b.stats.PacketsLost != 0 {
		t.Fatalf("stats %+v", b.stats)
	}
}

func FuzzAudioPlayout(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 5, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newAudioPlayout()
		for i := 0; i+2 <= len(data); i += 2 {
			seq := uint16(data[i])<<8 | uint16(data[i+1])
			b.push(opusPkt(seq, uint32(seq)*FrameSamples), time.Unix(0, 0))
			if data[i]&1 == 0 {
				b.slot()
			}
		}
		for range 5 {
			b.slot()
		}
	})
}
