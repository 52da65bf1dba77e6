package audioproc

import (
	"fmt"
	"sync"
	"time"

	"github.com/sotto-im/sotto/calls/audioproc/internal/speexdsp"
)

// Processor is the capture-path processor of one call. Playout and Capture
// may be called from different goroutines; Capture calls must not overlap
// each other.
type Processor struct {
	cfg    Config
	block  int // samples per 10 ms block
	frame  int // samples per SpeexDSP frame
	margin int // samples the reference is delayed less than the estimate

	farMu         sync.Mutex
	far           farHistory
	farSinceLast  int64 // far samples written since the last Capture
	farPos        int64 // far-stream position matched to the end of the current capture
	quietCaptures int   // successive Captures with no Playout in between
	closed        bool

	capMu     sync.Mutex
	est       *delayEstimator
	aec       *speexdsp.EchoCanceller
	pre       *speexdsp.Preprocessor
	agc       *gainControl
	lastIn    float64 // mean square of the previous raw block (the preprocessor lags into it)
	farHang   int     // blocks until the far end's last sound has surely died out in the room
	preDelay  int     // samples the reference is delayed by now
	ref, zero []int16
	out       []int16
}

// Reference delay applied is the estimate minus this much, so an estimate a
// few milliseconds long still leaves the echo inside the adaptive filter's
// causal window. Smaller is better for ERLE (4 ms: 34–35 dB, 8 ms: 31–34,
// 12 ms: 26–28, 24 ms: 24–27 at 50–200 ms in TestEchoCancellationERLE), as
// filter taps before the echo only add adaptation noise.
const referenceMargin = 8 * time.Millisecond

// A shorter delay threatens causality, so it is adopted after a smaller move
// than a longer one (which the filter's tail still covers). Adopting restarts
// the filter.
const (
	adoptShorter = 4 * time.Millisecond
	adoptLonger  = 16 * time.Millisecond
)

// A capture position this far behind the played stream is re-synced.
const farResync = 200 * time.Millisecond

// Captures without any Playout after which the speaker is taken to be silent.
const quietCapturesMax = 3

// SpeexDSP runs on 5 ms frames (two per block): its filter adapts once per
// frame, and halving the frame raised ERLE from 2 s on by 2 dB (docs/AUDIO.md).
const speexFrameDiv = 2

// New makes a Processor; the zero Config is the call default.
func New(cfg Config) (*Processor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Processor{
		cfg:    cfg,
		block:  cfg.samples(BlockDuration),
		margin: cfg.samples(referenceMargin),
	}
	maxDelay := cfg.samples(cfg.MaxDelay)
	p.far = newFarHistory(maxDelay + cfg.samples(time.Second))
	p.frame = p.block / speexFrameDiv
	p.out = make([]int16, p.frame)
	if !cfg.DisableEcho {
		p.est = newDelayEstimator(cfg.SampleRate, maxDelay)
		p.aec, err = speexdsp.NewEchoCanceller(p.frame, cfg.samples(cfg.EchoTail), cfg.SampleRate)
		if err != nil {
			return nil, fmt.Errorf("audioproc: echo canceller: %w", err)
		}
	}
	if !cfg.DisableNoise || !cfg.DisableGain || !cfg.DisableEcho {
		p.pre, err = speexdsp.NewPreprocessor(p.frame, cfg.SampleRate)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("audioproc: preprocessor: %w", err)
		}
		p.pre.SetDenoise(!cfg.DisableNoise)
		p.pre.SetNoiseSuppress(-cfg.NoiseSuppressDB)
		p.pre.SetEcho(p.aec)
		p.pre.SetAGC(false) // its loudness model missed the target by 15 dB here; see gainControl
	}
	if !cfg.DisableGain {
		p.agc = newGainControl(cfg.TargetLevelDBFS, int(time.Second/BlockDuration))
	}
	return p, nil
}

// BlockSize is the number of samples in one 10 ms block at the configured
// rate; Capture takes whole multiples of it.
func (p *Processor) BlockSize() int { return p.block }

// Latency is how much later a sound leaves Capture than it entered it.
func (p *Processor) Latency() time.Duration {
	if p.pre == nil {
		return 0
	}
	return time.Duration(p.frame) * time.Second / time.Duration(p.cfg.SampleRate)
}

// Playout records a frame that is going to the speaker, the far-end
// reference the echo is cancelled against. Call it with every frame played,
// silence included.
func (p *Processor) Playout(far []int16) {
	p.farMu.Lock()
	defer p.farMu.Unlock()
	if p.closed {
		return
	}
	p.far.write(far)
	p.farSinceLast += int64(len(far))
}

// Capture cleans a microphone frame in place and returns it. len(near) must
// be a multiple of BlockSize; a partial block at the end is left as it is.
// The output lags the input by Latency (the noise suppressor's overlap).
func (p *Processor) Capture(near []int16) []int16 {
	p.capMu.Lock()
	defer p.capMu.Unlock()
	n := len(near) - len(near)%p.block
	if n == 0 || !p.snapshotReference(n) {
		return near
	}
	changed := false
	for i := 0; i < n; i += p.block {
		blk := near[i : i+p.block]
		in := meanSquare16(blk)
		if p.aec != nil {
			changed = p.est.push(p.zero[i:i+p.block], blk) || changed
			p.trackFarActivity(p.zero[i : i+p.block])
		}
		for j := 0; j < p.block; j += p.frame {
			f := blk[j : j+p.frame]
			if p.aec != nil {
				p.aec.Cancel(f, p.ref[i+j:i+j+p.frame], p.out)
				copy(f, p.out)
			}
			if p.pre != nil {
				p.pre.Run(f)
			}
		}
		if p.agc != nil {
			before := in
			if p.pre != nil {
				before = (p.lastIn + in) / 2
			}
			// While the far end may be heard, what is left after
			// cancellation could be echo: hold the gain.
			p.agc.apply(blk, before, p.farHang == 0)
		}
		p.lastIn = in
	}
	if changed {
		p.adoptDelay()
	}
	return near
}

// snapshotReference copies, under the far-end lock, the reference for the
// next n microphone samples at the current pre-delay and at lag zero (for the
// estimator). It reports false once the Processor is closed.
func (p *Processor) snapshotReference(n int) bool {
	p.farMu.Lock()
	defer p.farMu.Unlock()
	if p.closed {
		return false
	}
	if p.farSinceLast == 0 {
		p.quietCaptures++
	} else {
		p.quietCaptures = 0
	}
	if p.quietCaptures >= quietCapturesMax {
		// Nothing is being played: keep the reference stream moving with
		// silence so stale far-end audio is not mistaken for echo.
		p.far.write(make([]int16, n))
	}
	p.farSinceLast = 0
	// The capture clock, not the arrival of Playout calls, advances the
	// position matched to the microphone, so playout that comes in bursts
	// does not jitter the alignment; it never runs ahead of what was played
	// and re-syncs if it falls far behind (a capture stall).
	p.farPos += int64(n)
	if p.farPos > p.far.total || p.farPos < p.far.total-int64(p.cfg.samples(farResync)) {
		p.farPos = p.far.total
	}
	if p.aec == nil {
		return true
	}
	if cap(p.ref) < n {
		p.ref, p.zero = make([]int16, n), make([]int16, n)
	}
	p.ref, p.zero = p.ref[:n], p.zero[:n]
	p.far.read(p.zero, p.farPos)
	p.far.read(p.ref, p.farPos-int64(p.preDelay))
	return true
}

// adoptDelay moves the reference to the estimator's new delay when it moved
// far enough; the adapted filter is then invalid, so it restarts.
func (p *Processor) adoptDelay() {
	d := max(p.est.Delay()-p.margin, 0)
	shorter := d <= p.preDelay-p.cfg.samples(adoptShorter)
	longer := d >= p.preDelay+p.cfg.samples(adoptLonger)
	if !shorter && !longer {
		return
	}
	p.preDelay = d
	p.aec.Reset()
}

// trackFarActivity notes when the far end last played something audible
// (above -60 dBFS) and keeps farHang counting down through the echo delay
// and tail after it.
func (p *Processor) trackFarActivity(far []int16) {
	if p.farHang > 0 {
		p.farHang--
	}
	if meanSquare16(far) < farAudible {
		return
	}
	delay := p.cfg.MaxDelay
	if d := p.est.Delay(); d >= 0 {
		delay = time.Duration(d) * time.Second / time.Duration(p.cfg.SampleRate)
	}
	p.farHang = int((delay + p.cfg.EchoTail + 100*time.Millisecond) / BlockDuration)
}

// -60 dBFS as a mean square.
const farAudible = 32768 * 32768 * 1e-6

func meanSquare16(x []int16) float64 {
	var e float64
	for _, v := range x {
		f := float64(v)
		e += f * f
	}
	return e / float64(len(x))
}

// Delay is the playout→capture delay currently estimated, or -1 before the
// far end has been heard in the microphone.
func (p *Processor) Delay() time.Duration {
	p.capMu.Lock()
	defer p.capMu.Unlock()
	if p.est == nil || p.est.Delay() < 0 {
		return -1
	}
	return time.Duration(p.est.Delay()) * time.Second / time.Duration(p.cfg.SampleRate)
}

// Close frees the processor's C state; later calls pass frames through.
func (p *Processor) Close() {
	p.capMu.Lock()
	defer p.capMu.Unlock()
	p.farMu.Lock()
	p.closed = true
	p.farMu.Unlock()
	if p.pre != nil {
		p.pre.Close()
		p.pre = nil
	}
	if p.aec != nil {
		p.aec.Close()
		p.aec = nil
	}
}
