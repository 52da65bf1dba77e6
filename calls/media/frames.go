package media

import (
	"fmt"
	"time"
)

// Audio format used everywhere in calls: 48 kHz mono int16, 20 ms frames.
const (
	SampleRate    = 48000
	FrameSamples  = 960
	FrameDuration = 20 * time.Millisecond
)

// AudioSource produces microphone-like audio.
type AudioSource interface {
	// ReadAudio fills exactly len(frame) samples, paced in real time by the source.
	ReadAudio(frame []int16) error
	Close() error
}

// AudioSink consumes one decoded (or concealed) frame at a time.
type AudioSink interface {
	WriteAudio(frame []int16) error
	Close() error
}

// VideoFrame is one I420 picture. U and V are (Width+1)/2 × (Height+1)/2 with strides equal to
// their widths. Number and Captured are set by sources; decoded frames carry the receive order in
// Number and the decode time in Captured.
type VideoFrame struct {
	Width, Height int
	Y, U, V       []byte
	Number        uint32
	Captured      time.Time
}

// NewVideoFrame allocates a black frame of the given size.
func NewVideoFrame(w, h int) *VideoFrame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &VideoFrame{Width: w, Height: h, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for i := range f.Y {
		f.Y[i] = 16
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
	}
	return f
}

// VideoSource produces frames, paced at its frame rate.
type VideoSource interface {
	ReadVideo() (*VideoFrame, error)
	Close() error
}

// VideoSink consumes decoded frames.
type VideoSink interface {
	WriteVideo(f *VideoFrame) error
	Close() error
}

// checkFrame verifies that f's planes hold its size.
func checkFrame(f *VideoFrame) error {
	if f == nil || f.Width <= 0 || f.Height <= 0 || f.Width > 8192 || f.Height > 8192 {
		return fmt.Errorf("%w: bad frame", ErrFormat)
	}
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	if len(f.Y) < f.Width*f.Height || len(f.U) < cw*ch || len(f.V) < cw*ch {
		return fmt.Errorf("%w: frame planes too small for %dx%d", ErrFormat, f.Width, f.Height)
	}
	return nil
}
