package audioproc

import (
	"fmt"
	"time"
)

// Config chooses what the Processor does. The zero value is the call
// default: 48 kHz, echo cancellation, noise suppression and gain control on.
type Config struct {
	// SampleRate of both Playout and Capture, in Hz: 16000, 32000 or 48000
	// (0 means 48000, the rate calls use).
	SampleRate int
	// EchoTail is the length of room response the adaptive filter models
	// after the estimated delay (0 means DefaultEchoTail).
	EchoTail time.Duration
	// MaxDelay is the longest playout→capture delay the estimator looks for
	// (0 means DefaultMaxDelay).
	MaxDelay time.Duration
	// NoiseSuppressDB is the most stationary noise is attenuated, in dB as a
	// positive number (0 means DefaultNoiseSuppressDB).
	NoiseSuppressDB int
	// TargetLevelDBFS is the speech level gain control aims for, in dBFS RMS
	// (0 means DefaultTargetLevelDBFS).
	TargetLevelDBFS float64

	// DisableEcho, DisableNoise and DisableGain switch the three stages off.
	DisableEcho  bool
	DisableNoise bool
	DisableGain  bool
}

// Defaults chosen by the measurements in docs/AUDIO.md.
const (
	DefaultEchoTail        = 128 * time.Millisecond
	DefaultMaxDelay        = 500 * time.Millisecond
	DefaultNoiseSuppressDB = 30
	DefaultTargetLevelDBFS = -20
)

// BlockDuration is the processing block: Capture takes whole multiples of it.
const BlockDuration = 10 * time.Millisecond

func (c Config) withDefaults() (Config, error) {
	if c.SampleRate == 0 {
		c.SampleRate = 48000
	}
	switch c.SampleRate {
	case 16000, 32000, 48000:
	default:
		return c, fmt.Errorf("%w: %d Hz", ErrSampleRate, c.SampleRate)
	}
	if c.EchoTail == 0 {
		c.EchoTail = DefaultEchoTail
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.NoiseSuppressDB == 0 {
		c.NoiseSuppressDB = DefaultNoiseSuppressDB
	}
	if c.TargetLevelDBFS == 0 {
		c.TargetLevelDBFS = DefaultTargetLevelDBFS
	}
	switch {
	case c.EchoTail < BlockDuration || c.EchoTail > time.Second:
		return c, fmt.Errorf("%w: echo tail %v (10 ms to 1 s)", ErrConfig, c.EchoTail)
	case c.MaxDelay < 0 || c.MaxDelay > 2*time.Second:
		return c, fmt.Errorf("%w: max delay %v (0 to 2 s)", ErrConfig, c.MaxDelay)
	case c.NoiseSuppressDB < 0 || c.NoiseSuppressDB > 60:
		return c, fmt.Errorf("%w: noise suppression %d dB (0 to 60)", ErrConfig, c.NoiseSuppressDB)
	case c.TargetLevelDBFS < -40 || c.TargetLevelDBFS > -3:
		return c, fmt.Errorf("%w: target level %.1f dBFS (-40 to -3)", ErrConfig, c.TargetLevelDBFS)
	}
	return c, nil
}

func (c Config) samples(d time.Duration) int {
	return int(int64(c.SampleRate) * int64(d) / int64(time.Second))
}
