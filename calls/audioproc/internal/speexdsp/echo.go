package speexdsp

// #include <speex/speex_echo.h>
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrClosed is the panic value of a call on a state after its Close (a
// programmer error).
var ErrClosed = errors.New("speexdsp: state closed")

// EchoCanceller is a SpeexDSP multi-delay-block-frequency adaptive filter: it
// removes from the microphone signal the part that is a linear function of
// the reference (far-end) signal over filterLength samples.
type EchoCanceller struct {
	st        *C.SpeexEchoState
	frameSize int
}

// NewEchoCanceller makes a canceller processing frameSize samples per call,
// with an adaptive filter of filterLength samples (the echo tail it covers).
func NewEchoCanceller(frameSize, filterLength, sampleRate int) (*EchoCanceller, error) {
	if frameSize <= 0 || filterLength < frameSize || sampleRate <= 0 {
		return nil, fmt.Errorf("speexdsp: echo canceller frame %d, filter %d, rate %d: invalid", frameSize, filterLength, sampleRate)
	}
	st := C.speex_echo_state_init(C.int(frameSize), C.int(filterLength))
	if st == nil {
		return nil, fmt.Errorf("speexdsp: echo canceller frame %d, filter %d: allocation failed", frameSize, filterLength)
	}
	rate := C.spx_int32_t(sampleRate)
	C.speex_echo_ctl(st, C.SPEEX_ECHO_SET_SAMPLING_RATE, unsafe.Pointer(&rate))
	return &EchoCanceller{st: st, frameSize: frameSize}, nil
}

// FrameSize is the number of samples Cancel takes and gives.
func (e *EchoCanceller) FrameSize() int { return e.frameSize }

// Cancel writes to out the microphone frame mic with the echo of ref removed.
// All three slices must hold exactly FrameSize samples; out may not alias mic.
func (e *EchoCanceller) Cancel(mic, ref, out []int16) {
	e.check(len(mic), len(ref), len(out))
	C.speex_echo_cancellation(e.st, (*C.spx_int16_t)(&mic[0]), (*C.spx_int16_t)(&ref[0]), (*C.spx_int16_t)(&out[0]))
}

// Reset forgets the adapted filter (after the echo path changed abruptly).
func (e *EchoCanceller) Reset() {
	e.check(e.frameSize)
	C.speex_echo_state_reset(e.st)
}

// Close frees the C state; it is safe to call twice.
func (e *EchoCanceller) Close() {
	if e.st != nil {
		C.speex_echo_state_destroy(e.st)
		e.st = nil
	}
}

func (e *EchoCanceller) check(lens ...int) {
	if e.st == nil {
		panic(ErrClosed)
	}
	for _, n := range lens {
		if n != e.frameSize {
			panic(fmt.Sprintf("speexdsp: echo canceller given %d samples, frame is %d", n, e.frameSize))
		}
	}
}
