package speexdsp

// #include <speex/speex_preprocess.h>
// #include <speex/speex_echo.h>
import "C"

import (
	"fmt"
	"unsafe"
)

// Preprocessor is SpeexDSP's spectral preprocessor: noise suppression,
// suppression of the echo an attached EchoCanceller left behind, and
// automatic gain control. Its output lags its input by one frame.
type Preprocessor struct {
	st        *C.SpeexPreprocessState
	frameSize int
}

// NewPreprocessor makes a preprocessor for frames of frameSize samples.
func NewPreprocessor(frameSize, sampleRate int) (*Preprocessor, error) {
	if frameSize <= 0 || sampleRate <= 0 {
		return nil, fmt.Errorf("speexdsp: preprocessor frame %d, rate %d: invalid", frameSize, sampleRate)
	}
	st := C.speex_preprocess_state_init(C.int(frameSize), C.int(sampleRate))
	if st == nil {
		return nil, fmt.Errorf("speexdsp: preprocessor frame %d: allocation failed", frameSize)
	}
	return &Preprocessor{st: st, frameSize: frameSize}, nil
}

// Run processes frame in place and reports whether it judged it speech.
func (p *Preprocessor) Run(frame []int16) bool {
	p.live()
	if len(frame) != p.frameSize {
		panic(fmt.Sprintf("speexdsp: preprocessor given %d samples, frame is %d", len(frame), p.frameSize))
	}
	return C.speex_preprocess_run(p.st, (*C.spx_int16_t)(&frame[0])) != 0
}

// SetEcho attaches the canceller whose residual echo is to be suppressed
// (nil detaches it). The canceller must outlive its attachment.
func (p *Preprocessor) SetEcho(e *EchoCanceller) {
	p.live()
	var st unsafe.Pointer
	if e != nil {
		st = unsafe.Pointer(e.st)
	}
	C.speex_preprocess_ctl(p.st, C.SPEEX_PREPROCESS_SET_ECHO_STATE, st)
}

// SetDenoise turns noise suppression on or off.
func (p *Preprocessor) SetDenoise(on bool) { p.setInt(C.SPEEX_PREPROCESS_SET_DENOISE, boolInt(on)) }

// SetNoiseSuppress sets the most noise is attenuated, in dB (negative).
func (p *Preprocessor) SetNoiseSuppress(db int) { p.setInt(C.SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, db) }

// SetEchoSuppress sets the most residual echo is attenuated, in dB (negative),
// without near-end speech (idle) and with it (active).
func (p *Preprocessor) SetEchoSuppress(idleDB, activeDB int) {
	p.setInt(C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, idleDB)
	p.setInt(C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, activeDB)
}

// SetAGC turns the preprocessor's own gain control on or off.
func (p *Preprocessor) SetAGC(on bool) { p.setInt(C.SPEEX_PREPROCESS_SET_AGC, boolInt(on)) }

// SetAGCLevel sets the gain control's target loudness (a linear int16 level).
func (p *Preprocessor) SetAGCLevel(level float32) {
	p.live()
	x := C.float(level)
	C.speex_preprocess_ctl(p.st, C.SPEEX_PREPROCESS_SET_AGC_LEVEL, unsafe.Pointer(&x))
}

// SetAGCMaxGain caps the gain control's gain, in dB.
func (p *Preprocessor) SetAGCMaxGain(db int) { p.setInt(C.SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, db) }

// AGCGain is the gain control's current gain, in dB.
func (p *Preprocessor) AGCGain() int {
	p.live()
	var v C.spx_int32_t
	C.speex_preprocess_ctl(p.st, C.SPEEX_PREPROCESS_GET_AGC_GAIN, unsafe.Pointer(&v))
	return int(v)
}

// SpeechProbability is the preprocessor's speech probability for the last
// frame, 0–100.
func (p *Preprocessor) SpeechProbability() int {
	p.live()
	var v C.spx_int32_t
	C.speex_preprocess_ctl(p.st, C.SPEEX_PREPROCESS_GET_PROB, unsafe.Pointer(&v))
	return int(v)
}

// Close frees the C state; it is safe to call twice.
func (p *Preprocessor) Close() {
	if p.st != nil {
		C.speex_preprocess_state_destroy(p.st)
		p.st = nil
	}
}

func (p *Preprocessor) setInt(request C.int, v int) {
	p.live()
	x := C.spx_int32_t(v)
	C.speex_preprocess_ctl(p.st, request, unsafe.Pointer(&x))
}

func (p *Preprocessor) live() {
	if p.st == nil {
		panic(ErrClosed)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
