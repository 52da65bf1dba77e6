package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// opusPkt is a speech packet whose payload names its sequence number; dtxPkt a DTX (silence) one.
func opusPkt(seq uint16, ts uint32) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts}, Payload: []byte{byte(seq), byte(seq >> 8), 0x80}}
}

func dtxPkt(seq uint16, ts uint32) *rtp.Packet {
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
	if act != playConceal && (len(data) < 2 || uint16(data[0])|uint16(data[1])<<8 != seq) {
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

// burstThenSteady: ten packets arrive at once (a burst after a stall), then one per slot; silent(i)
// says which are DTX frames. It returns the buffer after slots slots and the sequence numbers of the
// packets the buffer shed (handed back by takeShed).
func burstThenSteady(slots int, silent func(i int) bool) (*audioPlayout, []int) {
	b := newAudioPlayout()
	pkt := func(i int) *rtp.Packet {
		if silent(i) {
			return dtxPkt(uint16(i), uint32(i*FrameSamples))
		}
		return opusPkt(uint16(i), uint32(i*FrameSamples))
	}
	for i := 0; i < 10; i++ {
		b.push(pkt(i), time.Unix(0, 0).Add(time.Duration(i)*FrameDuration))
	}
	var shed []int
	for next := 10; next < 10+slots; next++ {
		b.slot()
		for _, p := range b.takeShed() {
			shed = append(shed, int(p[0])|int(p[1])<<8)
		}
		b.push(pkt(next), time.Unix(0, 0).Add(time.Duration(next)*FrameDuration))
	}
	return b, shed
}

func TestAudioPlayoutShedsExcessDelayInSilence(t *testing.T) {
	// Speech with a 100 ms pause every second: the excess goes in the pauses, speech is all played.
	silent := func(i int) bool { return i%50 >= 45 }
	b, shed := burstThenSteady(4*shrinkWindow, silent)
	if len(shed) < 3 {
		t.Fatalf("shed %d frames of excess delay in 4 windows, want ≥ 3", len(shed))
	}
	for _, seq := range shed {
		if !silent(seq) {
			t.Fatalf("shed speech frame %d (shed %v)", seq, shed)
		}
	}
	if b.stats.FramesDropped != uint64(len(shed)) || b.stats.Underruns != 0 || b.stats.PacketsLost != 0 {
		t.Fatalf("stats %+v, shed %v", b.stats, shed)
	}
}

func TestAudioPlayoutShedsSpeechOnlyWithoutSilence(t *testing.T) {
	speech := func(int) bool { return false }
	if _, shed := burstThenSteady((shedSpeechAfter-1)*shrinkWindow, speech); len(shed) != 0 {
		t.Fatalf("shed speech %v within %d windows", shed, shedSpeechAfter-1)
	}
	// A stream without DTX pauses: after shedSpeechAfter windows the excess goes anyway, one frame
	// per window (still decoded by the receiver, so its decoder stays in step).
	b, shed := burstThenSteady((shedSpeechAfter+3)*shrinkWindow, speech)
	if len(shed) < 3 {
		t.Fatalf("shed %d frames in %d windows of continuous speech, want ≥ 3", len(shed), shedSpeechAfter+3)
	}
	if b.stats.Underruns != 0 || b.stats.PacketsLost != 0 {
		t.Fatalf("stats %+v", b.stats)
	}
}

func TestAudioPlayoutStart(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	t.Run("clean link starts early", func(t *testing.T) {
		b := newAudioPlayout()
		for i := 0; i < startPackets; i++ {
			b.push(opusPkt(uint16(i), uint32(i*FrameSamples)), at(i*20+2*(i%2)))
		}
		if b.readyToStart(startMin - time.Millisecond) {
			t.Fatal("started before startMin")
		}
		if !b.readyToStart(startMin) {
			t.Fatal("three regular packets: not started at startMin")
		}
	})
	for name, arrivals := range map[string][]int{
		"spread":    {0, 20 + 30, 40 + 5},
		"reordered": {0, 45, 30},
		"too few":   {0, 20},
	} {
		t.Run(name+" waits for startMax", func(t *testing.T) {
			b := newAudioPlayout()
			seqs := []uint16{0, 1, 2}
			if name == "reordered" {
				seqs = []uint16{0, 2, 1}
			}
			for i, ms := range arrivals {
				b.push(opusPkt(seqs[i], uint32(seqs[i])*FrameSamples), at(ms))
			}
			if b.readyToStart(startMax - time.Millisecond) {
				t.Fatal("started early on a link that showed jitter")
			}
			if !b.readyToStart(startMax) {
				t.Fatal("not started at startMax")
			}
		})
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
