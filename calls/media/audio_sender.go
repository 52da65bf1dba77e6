package media

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/sotto-im/sotto/calls/media/internal/opus"
)

// AudioSender reads 20 ms frames from its source, encodes them with Opus and writes them to a pion
// track. It owns its source: SetSource and Stop close the one they replace. When the source ends or
// fails, the sender keeps the stream going with silence (DTX makes that nearly free) until SetSource.
type AudioSender struct {
	track  *webrtc.TrackLocalStaticSample
	enc    *opus.Encoder
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	src     AudioSource
	srcErr  error
	stopped bool

	muted       atomic.Bool
	framesSent  atomic.Uint64
	bytesSent   atomic.Uint64
	sourceEnded chan struct{}
	endedOnce   sync.Once
}

// StartAudioSender starts sending src on track until Stop or ctx ends.
func StartAudioSender(ctx context.Context, track *webrtc.TrackLocalStaticSample, src AudioSource, cfg AudioConfig) (*AudioSender, error) {
	if track == nil || src == nil {
		return nil, errors.New("start audio sender: nil track or source")
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = DefaultAudioBitrate
	}
	if cfg.ExpectedLossPc == 0 {
		cfg.ExpectedLossPc = 10
	}
	enc, err := opus.NewEncoder(opus.EncoderConfig{
		Bitrate: cfg.Bitrate, FEC: !cfg.DisableFEC, DTX: !cfg.DisableDTX, ExpectedLossPc: cfg.ExpectedLossPc,
	})
	if err != nil {
		return nil, fmt.Errorf("start audio sender: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &AudioSender{track: track, enc: enc, cancel: cancel, done: make(chan struct{}), src: src,
		sourceEnded: make(chan struct{})}
	go s.run(ctx)
	return s, nil
}

func (s *AudioSender) run(ctx context.Context) {
	defer close(s.done)
	pcm := make([]int16, FrameSamples)
	out := make([]byte, opus.MaxPacket)
	silence := newPacer(FrameDuration)
	for ctx.Err() == nil {
		s.mu.Lock()
		src := s.src
		s.mu.Unlock()
		if src == nil {
			clear(pcm)
			silence.wait()
		} else if err := src.ReadAudio(pcm); err != nil {
			s.sourceFailed(src, err)
			continue
		}
		if s.muted.Load() {
			clear(pcm)
		}
		pkt, err := s.enc.Encode(pcm, out)
		if err != nil {
			continue // only a closed encoder fails, and that happens after ctx is cancelled
		}
		// DTX frames (≤ 2 bytes) are sent too: TrackLocalStaticSample cannot leave a timestamp gap
		// without also leaving a sequence gap that would read as loss.
		if err := s.track.WriteSample(pionmedia.Sample{Data: pkt, Duration: FrameDuration}); err == nil {
			s.framesSent.Add(1)
			s.bytesSent.Add(uint64(len(pkt)))
		}
	}
}

// sourceFailed drops a source that ended or broke, unless SetSource already replaced it.
func (s *AudioSender) sourceFailed(src AudioSource, err error) {
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
func (s *AudioSender) SourceEnded() <-chan struct{} { return s.sourceEnded }

// SourceErr is why the last source stopped (io.EOF at the end of a file), or nil.
func (s *AudioSender) SourceErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srcErr
}

// SetMuted sends silence instead of the source while muted (the source keeps being read so a device
// does not overflow).
func (s *AudioSender) SetMuted(muted bool) { s.muted.Store(muted) }

// SetBitrate changes the Opus target bitrate (bits per second) from the next frame.
func (s *AudioSender) SetBitrate(bps int) error {
	if err := s.enc.SetBitrate(bps); err != nil {
		return fmt.Errorf("audio sender: %w", err)
	}
	return nil
}

// SetExpectedLoss sizes the in-band FEC for the measured loss (percent).
func (s *AudioSender) SetExpectedLoss(pc int) error {
	if err := s.enc.SetExpectedLoss(pc); err != nil {
		return fmt.Errorf("audio sender: %w", err)
	}
	return nil
}

// SetSource switches to src (a device change mid-call) and closes the previous source.
func (s *AudioSender) SetSource(src AudioSource) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrStopped
	}
	old := s.src
	s.src, s.srcErr = src, nil
	s.mu.Unlock()
	if old != nil && old != src {
		if err := old.Close(); err != nil {
			return fmt.Errorf("close previous audio source: %w", err)
		}
	}
	return nil
}

// FramesSent is how many 20 ms frames went to the track.
func (s *AudioSender) FramesSent() uint64 { return s.framesSent.Load() }

// Stop ends sending, closes the source and waits for the send loop.
func (s *AudioSender) Stop() error {
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
		return fmt.Errorf("close audio source: %w", err)
	}
	return nil
}
