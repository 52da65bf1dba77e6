package audioproc

import "math"

// gainControl brings the talker's speech to a target level. It adapts only
// on blocks that are the near-end talker: loud enough, and not mostly removed
// by echo cancellation and noise suppression (so residual echo and noise never
// drive the gain up). The gain moves at a bounded rate and is cut at once when
// a block would otherwise exceed the ceiling, so it never clips.
type gainControl struct {
	target    float64 // mean square aimed for
	level     float64 // smoothed mean square of speech blocks, 0 before any
	gain      float64 // linear gain applied at the end of the last block
	upStep    float64 // largest rise per speech block (linear factor)
	downStep  float64 // largest fall per speech block
	blocksSec float64
}

const (
	agcMaxGainDB     = 30
	agcMinGainDB     = -12
	agcUpDBPerSec    = 12
	agcDownDBPerSec  = 24
	agcLevelSmooth   = 0.05  // per speech block: about 200 ms of speech
	agcMinSpeechDBFS = -55   // quieter blocks are not speech
	agcKeptFraction  = 0.25  // a speech block kept at least this much energy through the cleaners
	agcCeiling       = 29204 // -1 dBFS
)

func newGainControl(targetDBFS float64, blocksPerSec int) *gainControl {
	ref := 32768.0
	return &gainControl{
		target:    ref * ref * math.Pow(10, targetDBFS/10),
		gain:      1,
		upStep:    math.Pow(10, agcUpDBPerSec/20.0/float64(blocksPerSec)),
		downStep:  math.Pow(10, -agcDownDBPerSec/20.0/float64(blocksPerSec)),
		blocksSec: float64(blocksPerSec),
	}
}

// apply scales the cleaned block x in place. before is the mean square of the
// raw microphone audio x was cleaned from; adapt false holds the gain.
func (g *gainControl) apply(x []int16, before float64, adapt bool) {
	var ms, peak float64
	for _, v := range x {
		f := float64(v)
		ms += f * f
		peak = math.Max(peak, math.Abs(f))
	}
	ms /= float64(len(x))
	next := g.gain
	if adapt && g.isSpeech(ms, before) {
		if g.level == 0 {
			g.level = ms
		} else {
			g.level += agcLevelSmooth * (ms - g.level)
		}
		want := math.Sqrt(g.target / g.level)
		want = math.Min(math.Max(want, dBGain(agcMinGainDB)), dBGain(agcMaxGainDB))
		next = math.Min(math.Max(want, g.gain*g.downStep), g.gain*g.upStep)
	}
	start := g.gain
	if peak > 0 && peak*math.Max(start, next) > agcCeiling {
		limit := agcCeiling / peak
		start, next = math.Min(start, limit), math.Min(next, limit)
	}
	// Ramp across the block so gain changes do not click.
	step := (next - start) / float64(len(x))
	for i, v := range x {
		x[i] = int16(math.Round(float64(v) * (start + step*float64(i+1))))
	}
	g.gain = next
}

func (g *gainControl) isSpeech(ms, before float64) bool {
	floor := 32768.0 * 32768.0 * math.Pow(10, agcMinSpeechDBFS/10.0)
	return ms > floor && ms >= agcKeptFraction*before
}

// GainDB is the gain last applied, in dB.
func (g *gainControl) GainDB() float64 { return 20 * math.Log10(g.gain) }

func dBGain(db float64) float64 { return math.Pow(10, db/20) }
