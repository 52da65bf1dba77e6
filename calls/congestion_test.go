package calls

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// linkSim sends packets through a modelled link to pion's own TWCC recorder (the receiver side of
// real calls) and feeds its feedback, every 100 ms, to a queueDetector — all in virtual time.
type linkSim struct {
	det      *queueDetector
	rec      *twcc.Recorder
	t0       time.Time
	cuts     []time.Duration // when the detector cut, from t0
	rates    []int
	inFlight []simArrival
}

type simArrival struct {
	seq uint16
	at  time.Duration
}

func newLinkSim() *linkSim {
	s := &linkSim{rec: twcc.NewRecorder(1), t0: time.Unix(1000, 0)}
	var now time.Duration
	s.det = newQueueDetector(func(bps int, _ time.Duration) { s.cuts, s.rates = append(s.cuts, now), append(s.rates, bps) })
	s.det.epoch = s.t0
	return s
}

// runGaps sends size-byte packets for dur from start, gap(i) after packet i; deliver says when a
// packet sent at t arrives (ok false: lost). Feedback for what arrived goes every 100 ms and
// arrives 20 ms later.
func (s *linkSim) runGaps(start, dur time.Duration, gap func(i int) time.Duration, size int, deliver func(t time.Duration) (time.Duration, bool)) {
	nextFB := start + 100*time.Millisecond
	seq := uint16(0)
	for i, t := 0, start; t < start+dur; i, t = i+1, t+gap(i) {
		s.det.onSent(seq, size, s.t0.Add(t))
		if at, ok := deliver(t); ok {
			s.inFlight = append(s.inFlight, simArrival{seq, at})
		}
		seq++
		for t >= nextFB {
			var keep []simArrival
			for _, a := range s.inFlight {
				if a.at <= nextFB {
					s.rec.Record(2, a.seq, a.at.Microseconds())
				} else {
					keep = append(keep, a)
				}
			}
			s.inFlight = keep
			fbAt := nextFB + 20*time.Millisecond
			for _, p := range s.rec.BuildFeedbackPacket() {
				if fb, ok := p.(*rtcp.TransportLayerCC); ok {
					s.cutAt(fbAt, fb)
				}
			}
			nextFB += 100 * time.Millisecond
		}
	}
}

func (s *linkSim) cutAt(at time.Duration, fb *rtcp.TransportLayerCC) {
	n := len(s.cuts)
	s.det.onFeedback(fb, s.t0.Add(at))
	for i := n; i < len(s.cuts); i++ {
		s.cuts[i] = at
	}
}

// bottleneck is a 300 kbit/s tail-drop queue of 200 ms (tc tbf) from capAt, 5 ms of delay.
func bottleneck(size int, capAt time.Duration) func(t time.Duration) (time.Duration, bool) {
	var free time.Duration
	return func(t time.Duration) (time.Duration, bool) {
		const base = 5 * time.Millisecond
		if t < capAt {
			return t + base, true
		}
		tx := time.Duration(int64(size) * 8 * int64(time.Second) / 300_000)
		start := max(t, free)
		if start-t > 200*time.Millisecond {
			return 0, false
		}
		free = start + tx
		return free + base, true
	}
}

func TestQueueDetectorCutsAtABottleneck(t *testing.T) {
	const size = 1200
	capAt := 3 * time.Second
	for name, gap := range map[string]func(int) time.Duration{
		// 1.2 Mbit/s evenly paced.
		"smooth": func(int) time.Duration { return 8 * time.Millisecond },
		// 1.2 Mbit/s as 11 fps of 13 kB frames, each paced out in 55 ms (a 720p sender short of
		// CPU): the delay rises in a sawtooth.
		"bursts": func(i int) time.Duration {
			if i%11 == 10 {
				return 90*time.Millisecond - 10*5*time.Millisecond
			}
			return 5 * time.Millisecond
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := newLinkSim()
			s.runGaps(0, 6*time.Second, gap, size, bottleneck(size, capAt))
			if len(s.cuts) == 0 {
				t.Fatal("no cut at a 300 kbit/s bottleneck")
			}
			if s.cuts[0] < capAt {
				t.Fatalf("cut at %v, before the bottleneck at %v", s.cuts[0], capAt)
			}
			t.Logf("cuts at %v to %v bit/s", s.cuts, s.rates)
			if d := s.cuts[0] - capAt; d > 400*time.Millisecond {
				t.Fatalf("first cut %v after the bottleneck, want ≤ 400 ms", d)
			}
			if r := s.rates[0]; r < 200_000 || r > 300_000 {
				t.Fatalf("cut to %d bit/s, want 0.85 × the 300 kbit/s bottleneck", r)
			}
		})
	}
}

func TestQueueDetectorIgnoresJitterAndLoss(t *testing.T) {
	// 100 ± 50 ms (normal, clipped at 0) per packet with 5% loss, 1 Mbit/s: what calls/nettest's
	// lossy calls look like. Reordered, often 100 ms late, but no queue.
	gaps := map[string]func(int) time.Duration{
		"8 ms":  func(int) time.Duration { return 8 * time.Millisecond },
		"20 ms": func(int) time.Duration { return 20 * time.Millisecond },
		// 30 fps of 6-packet frames sent back to back: a video sender's bursts.
		"bursts": func(i int) time.Duration {
			if i%6 == 5 {
				return 33*time.Millisecond - 5*time.Millisecond
			}
			return time.Millisecond
		},
	}
	for seed := range uint64(jitterSeeds) {
		rng := rand.New(rand.NewPCG(seed, 2))
		for name, gap := range gaps {
			s := newLinkSim()
			s.runGaps(0, 30*time.Second, gap, 1000, func(t time.Duration) (time.Duration, bool) {
				d := max(100*time.Millisecond+time.Duration(rng.NormFloat64()*float64(50*time.Millisecond)), 0)
				return t + d, rng.Float64() >= 0.05
			})
			if len(s.cuts) != 0 {
				t.Fatalf("seed %d, packets every %s: cut %d times on a jittery link without a queue (first at %v to %d bit/s)", seed, name, len(s.cuts), s.cuts[0], s.rates[0])
			}
		}
	}
}

// jitterSeeds: how many 30 s links TestQueueDetectorIgnoresJitterAndLoss tries per packet rate (40
// passed too; 8 keep the test short under -race).
var jitterSeeds = 8

func TestTargetCap(t *testing.T) {
	now := time.Unix(0, 0)
	var tc targetCap
	tc.estimate = 1_000_000
	if !tc.cut(250_000, now) || tc.current(now) != 250_000 {
		t.Fatalf("cut: current %d", tc.current(now))
	}
	if tc.cut(400_000, now) {
		t.Fatal("a cut above the cap was taken")
	}
	tc.estimate = 800_000
	if got := tc.current(now.Add(time.Second)); got != 250_000 {
		t.Fatalf("estimate still above the cap: current %d, want the cap", got)
	}
	tc.estimate = 200_000
	if got := tc.current(now.Add(time.Second)); got != 200_000 {
		t.Fatalf("estimate under the cap: current %d, want the estimate", got)
	}
	tc.estimate = 900_000 // probing back up: the cap is gone
	if got := tc.current(now.Add(time.Second)); got != 900_000 {
		t.Fatalf("after the estimate came down the cap still holds: %d", got)
	}
	tc.cut(300_000, now)
	if got := tc.current(now.Add(capHold + time.Millisecond)); got != 900_000 {
		t.Fatalf("cap outlived capHold: %d", got)
	}
}

func FuzzTWCCFeedback(f *testing.F) {
	rec := twcc.NewRecorder(1)
	for i, at := range []int64{0, 500, 900, 250_000, 250_100} {
		rec.Record(2, uint16(10+i*3), at)
	}
	for _, p := range rec.BuildFeedbackPacket() {
		if b, err := p.Marshal(); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkts, err := rtcp.Unmarshal(data)
		if err != nil {
			return
		}
		d := newQueueDetector(nil)
		for i := range 40 {
			d.onSent(uint16(i), 1000, time.Unix(0, int64(i)*int64(time.Millisecond)))
		}
		for _, p := range pkts {
			if fb, ok := p.(*rtcp.TransportLayerCC); ok {
				twccArrivals(fb)
				d.onFeedback(fb, time.Unix(1, 0))
			}
		}
	})
}
