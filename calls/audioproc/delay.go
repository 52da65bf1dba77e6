package audioproc

import "math"

// delayEstimator finds how long after being played the far end reaches the
// microphone. Both signals are reduced to an onset envelope (the rise of log
// energy over 2 ms steps, falls ignored because room reverb smears them) and
// the microphone's envelope over the last few seconds is correlated (Pearson)
// with the far end's at every candidate lag. A lag is adopted only when its
// correlation is clearly positive and two successive estimates agree, so near-end
// speech (double talk), which is uncorrelated with the far end, lowers the
// peak but does not move it.
type delayEstimator struct {
	step   int // samples per envelope point
	lags   int // envelope points searched, 0..lags-1
	window int // envelope points correlated
	every  int // envelope points between estimates

	far, near         []float64 // rings: far holds window+lags points, near window
	pushed            int64
	lastFar, lastNear float64 // previous log energies

	delay     int // adopted delay in samples, -1 before the first
	candidate int // last estimate's lag in points, -1 none
	peak      float64

	x, y, corr []float64 // scratch
}

const (
	envelopeStep     = 2 // ms per envelope point
	estimateWindowMs = 3000
	estimateEveryMs  = 200
	minFirstMs       = 400 // data needed before the first estimate
	minPeak          = 0.2 // Pearson correlation a lag needs to be believed
	agreePoints      = 2   // successive estimates within this many points agree
	energyFloor      = 1.0 // per-sample energy floor (int16 units²) under the log
)

func newDelayEstimator(sampleRate int, maxDelaySamples int) *delayEstimator {
	step := sampleRate * envelopeStep / 1000
	lags := maxDelaySamples/step + 1
	window := estimateWindowMs / envelopeStep
	return &delayEstimator{
		step:      step,
		lags:      lags,
		window:    window,
		every:     estimateEveryMs / envelopeStep,
		far:       make([]float64, window+lags),
		near:      make([]float64, window),
		delay:     -1,
		candidate: -1,
		x:         make([]float64, window),
		y:         make([]float64, window+lags),
		corr:      make([]float64, lags),
	}
}

// push adds one block of the far end as played at lag zero and the
// microphone block captured at the same time; len(far) == len(near), a
// multiple of step. It reports whether the adopted delay changed.
func (d *delayEstimator) push(far, near []int16) bool {
	changed := false
	for i := 0; i+d.step <= len(near); i += d.step {
		f := logEnergy(far[i : i+d.step])
		n := logEnergy(near[i : i+d.step])
		d.far[int(d.pushed%int64(len(d.far)))] = math.Max(0, f-d.lastFar)
		d.near[int(d.pushed%int64(len(d.near)))] = math.Max(0, n-d.lastNear)
		d.lastFar, d.lastNear = f, n
		d.pushed++
		if d.pushed%int64(d.every) == 0 && d.pushed >= int64(minFirstMs/envelopeStep) {
			changed = d.estimate() || changed
		}
	}
	return changed
}

// Delay is the adopted delay in samples, or -1 before one was found.
func (d *delayEstimator) Delay() int { return d.delay }

func (d *delayEstimator) estimate() bool {
	w := d.window
	if d.pushed < int64(w) {
		w = int(d.pushed)
	}
	// Unroll the rings: x[t] is the microphone's t-th newest-but-w point,
	// y[t+lags-1] the far end's point at the same time, y[t+lags-1-L] the
	// far end L points earlier.
	x, y := d.x[:w], d.y[:w+d.lags-1]
	for t := range x {
		x[t] = d.near[int((d.pushed-int64(w)+int64(t))%int64(len(d.near)))]
	}
	for t := range y {
		p := d.pushed - int64(len(y)) + int64(t)
		if p < 0 {
			y[t] = 0
			continue
		}
		y[t] = d.far[int(p%int64(len(d.far)))]
	}
	var sx, sxx float64
	for _, v := range x {
		sx += v
		sxx += v * v
	}
	n := float64(w)
	vx := sxx - sx*sx/n
	if vx <= 1e-9 {
		return false
	}
	best, bestLag := math.Inf(-1), -1
	for lag := 0; lag < d.lags; lag++ {
		seg := y[d.lags-1-lag : d.lags-1-lag+w]
		var sy, syy, sxy float64
		for t, v := range seg {
			sy += v
			syy += v * v
			sxy += x[t] * v
		}
		vy := syy - sy*sy/n
		r := 0.0
		if vy > 1e-9 {
			r = (sxy - sx*sy/n) / math.Sqrt(vx*vy)
		}
		d.corr[lag] = r
		if r > best {
			best, bestLag = r, lag
		}
	}
	d.peak = best
	if best < minPeak {
		d.candidate = -1
		return false
	}
	agree := d.candidate >= 0 && abs(bestLag-d.candidate) <= agreePoints
	d.candidate = bestLag
	if !agree {
		return false
	}
	delay := bestLag * d.step
	if delay == d.delay {
		return false
	}
	d.delay = delay
	return true
}

func logEnergy(x []int16) float64 {
	var e float64
	for _, v := range x {
		f := float64(v)
		e += f * f
	}
	return math.Log(e/float64(len(x)) + energyFloor)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
