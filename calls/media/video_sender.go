package media

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/sotto-im/sotto/calls/media/internal/vp8"
)

// VideoSender reads frames from its source, scales them to the resolution cap, encodes VP8 and
// writes to a pion track. It owns its source: SetSource and Stop close the one they replace. When
// the source ends or fails nothing is sent until SetSource.
type VideoSender struct {
	track  *webrtc.TrackLocalStaticSample
	enc    *vp8.Encoder
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	src      VideoSource
	srcErr   error
	changed  chan struct{} // signalled by SetSource
	maxW     int
	maxH     int
	stopped  bool
	lastSent time.Time
	hold     time.Time // frames until then are dropped; the first after is a keyframe

	enabled     atomic.Bool
	framesSent  atomic.Uint64
	keyframes   atomic.Uint64
	bytesSent   atomic.Uint64
	sourceEnded chan struct{}
	endedOnce   sync.Once
}

// StartVideoSender starts sending src on track until Stop or ctx ends.
func StartVideoSender(ctx context.Context, track *webrtc.TrackLocalStaticSample, src VideoSource, cfg VideoConfig) (*VideoSender, error) {
	if track == nil || src == nil {
		return nil, errors.New("start video sender: nil track or source")
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = DefaultVideoBitrate
	}
	enc, err := vp8.NewEncoder(cfg.Bitrate)
	if err != nil {
		return nil, fmt.Errorf("start video sender: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &VideoSender{track: track, enc: enc, cancel: cancel, done: make(chan struct{}), src: src,
		changed: make(chan struct{}, 1), maxW: cfg.MaxWidth, maxH: cfg.MaxHeight, sourceEnded: make(chan struct{})}
	s.enabled.Store(true)
	go s.run(ctx)
	return s, nil
}

func (s *VideoSender) run(ctx context.Context) {
	defer close(s.done)
	for ctx.Err() == nil {
		s.mu.Lock()
		src, maxW, maxH := s.src, s.maxW, s.maxH
		s.mu.Unlock()
		if src == nil {
			select {
			case <-s.changed:
			case <-ctx.Done():
			}
			continue
		}
		f, err := src.ReadVideo()
		if err != nil {
			s.sourceFailed(src, err)
			continue
		}
		if !s.enabled.Load() || checkFrame(f) != nil || s.holding() {
			continue
		}
		if w, h := fitWithin(f.Width, f.Height, maxW, maxH); w != f.Width || h != f.Height {
			f = scaleFrame(f, w, h)
		}
		s.send(f)
	}
}

func (s *VideoSender) send(f *VideoFrame) {
	captured := f.Captured
	if captured.IsZero() {
		captured = time.Now()
	}
	data, key, err := s.enc.Encode(&vp8.Image{Width: f.Width, Height: f.Height, Y: f.Y, U: f.U, V: f.V}, captured)
	if err != nil || data == nil {
		return
	}
	// The RTP timestamp advances by the time since the previous frame, so the receiver sees the
	// source's real frame rate.
	s.mu.Lock()
	dur := time.Second / 30
	if !s.lastSent.IsZero() {
		dur = max(captured.Sub(s.lastSent), time.Millisecond)
	}
	s.lastSent = captured
	s.mu.Unlock()
	if err := s.track.WriteSample(pionmedia.Sample{Data: data, Duration: dur}); err != nil {
		return
	}
	s.framesSent.Add(1)
	s.bytesSent.Add(uint64(len(data)))
	if key {
		s.keyframes.Add(1)
	}
}

func (s *VideoSender) sourceFailed(src VideoSource, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.src != src {
		return
	}
	s.src, s.srcErr = nil, err
	src.Close()
	s.endedOnce.Do(func() { close(s.sourceEnded) })
}

// SourceEnded is closed when the first source ends or fails (see SourceErr).
func (s *VideoSender) SourceEnded() <-chan struct{} { return s.sourceEnded }

// SourceErr is why the last source stopped (io.EOF at the end of a file), or nil.
func (s *VideoSender) SourceErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srcErr
}

// SetBitrate changes the VP8 target bitrate (bits per second) from the next frame.
func (s *VideoSender) SetBitrate(bps int) error {
	if err := s.enc.SetBitrate(bps); err != nil {
		return fmt.Errorf("video sender: %w", err)
	}
	return nil
}

// SetMaxResolution caps the sent resolution (0 = no cap on that side); larger frames are scaled
// down keeping their aspect ratio. Bandwidth estimation uses it to step 720p → 360p → 180p; the
// encoder restarts with a keyframe at each change.
func (s *VideoSender) SetMaxResolution(w, h int) {
	s.mu.Lock()
	s.maxW, s.maxH = w, h
	s.mu.Unlock()
}

// Hold drops the source's frames for d, then goes on with a small keyframe: after a congestion cut
// the bottleneck's queue drains first, and the video restarts into an emptier queue with a keyframe
// that gets through it quickly (see vp8.Encoder.ForceSmallKeyframe).
func (s *VideoSender) Hold(d time.Duration) {
	s.mu.Lock()
	s.hold = time.Now().Add(d)
	s.mu.Unlock()
}

// holding reports whether a hold is on; at its end it forces the keyframe.
func (s *VideoSender) holding() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold.IsZero() {
		return false
	}
	if time.Now().Before(s.hold) {
		return true
	}
	s.hold = time.Time{}
	s.enc.ForceSmallKeyframe()
	return false
}

// RequestKeyframe makes the next frame a keyframe (on a PLI or FIR from the receiver). During a
// hold it does nothing: the hold ends with a keyframe.
func (s *VideoSender) RequestKeyframe() {
	if !s.holdOn() {
		s.enc.ForceKeyframe()
	}
}

// RequestSmallKeyframe is RequestKeyframe with a small keyframe (see
// vp8.Encoder.ForceSmallKeyframe), for a congested link.
func (s *VideoSender) RequestSmallKeyframe() {
	if !s.holdOn() {
		s.enc.ForceSmallKeyframe()
	}
}

// holdOn says whether a hold is on, without ending it.
func (s *VideoSender) holdOn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.hold)
}

// SetEnabled turns sending on and off (camera off keeps the track but sends nothing). Turning it
// back on starts with a keyframe.
func (s *VideoSender) SetEnabled(on bool) {
	if s.enabled.Swap(on) != on && on {
		s.enc.ForceKeyframe()
	}
}

// SetSource switches to src (a camera change mid-call) and closes the previous source.
func (s *VideoSender) SetSource(src VideoSource) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrStopped
	}
	old := s.src
	s.src, s.srcErr = src, nil
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	if old != nil && old != src {
		if err := old.Close(); err != nil {
			return fmt.Errorf("close previous video source: %w", err)
		}
	}
	return nil
}

// SenderStats counts what a sender wrote to its track.
type SenderStats struct {
	Frames, Keyframes, Bytes uint64
}

// Stats returns the sender's counters.
func (s *VideoSender) Stats() SenderStats {
	return SenderStats{Frames: s.framesSent.Load(), Keyframes: s.keyframes.Load(), Bytes: s.bytesSent.Load()}
}

// Stop ends sending, closes the source and waits for the send loop.
func (s *VideoSender) Stop() error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	src := s.src
	s.src = nil
	s.mu.Unlock()
	s.cancel()
	var err error
	if src != nil {
		err = src.Close()
	}
	<-s.done
	s.enc.Close()
	if err != nil {
		return fmt.Errorf("close video source: %w", err)
	}
	return nil
}
