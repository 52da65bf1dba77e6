package media

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/calls/media/internal/opus"
)

// rtpSource is the part of webrtc.TrackRemote the receivers use (tests feed synthetic streams).
type rtpSource interface {
	ReadRTP() (*rtp.Packet, interceptor.Attributes, error)
	SetReadDeadline(time.Time) error
}

// silentAfter: after this many concealed slots in a row the receiver writes plain silence instead of
// asking the decoder to extrapolate further.
const silentAfter = 50

// AudioReceiver plays a remote Opus track into a sink: a frame every 20 ms from the first packet on,
// decoded, rebuilt from FEC or concealed, never a gap. It owns its sink: SetSink and Stop close the
// one they replace.
type AudioReceiver struct {
	src    rtpSource
	dec    *opus.Decoder
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	buf     *audioPlayout
	sink    AudioSink
	first   chan struct{} // closed at the first packet
	firstAt time.Time     // when it arrived
	gotOne  bool
	stopped bool
	sinkErr error
}

// StartAudioReceiver starts reading track and playing it into sink until Stop or ctx ends.
func StartAudioReceiver(ctx context.Context, track *webrtc.TrackRemote, sink AudioSink) (*AudioReceiver, error) {
	if track == nil || sink == nil {
		return nil, errors.New("start audio receiver: nil track or sink")
	}
	if mt := track.Codec().MimeType; !strings.EqualFold(mt, webrtc.MimeTypeOpus) {
		return nil, fmt.Errorf("start audio receiver: %w: %q, want opus", ErrCodec, mt)
	}
	return startAudioReceiver(ctx, track, sink)
}

func startAudioReceiver(ctx context.Context, src rtpSource, sink AudioSink) (*AudioReceiver, error) {
	dec, err := opus.NewDecoder()
	if err != nil {
		return nil, fmt.Errorf("start audio receiver: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &AudioReceiver{src: src, dec: dec, cancel: cancel, buf: newAudioPlayout(), sink: sink, first: make(chan struct{})}
	r.wg.Add(2)
	go r.read(ctx)
	go r.play(ctx)
	return r, nil
}

func (r *AudioReceiver) read(ctx context.Context) {
	defer r.wg.Done()
	for ctx.Err() == nil {
		p, _, err := r.src.ReadRTP()
		if err != nil {
			return // track ended or Stop set the read deadline
		}
		now := time.Now()
		r.mu.Lock()
		r.buf.push(p, now)
		r.buf.stats.LastPacket = now
		if !r.gotOne {
			r.gotOne, r.firstAt = true, now
			close(r.first)
		}
		r.mu.Unlock()
	}
}

func (r *AudioReceiver) play(ctx context.Context) {
	defer r.wg.Done()
	select {
	case <-r.first:
	case <-ctx.Done():
		return
	}
	if !r.waitStart(ctx) {
		return
	}
	pcm := make([]int16, FrameSamples)
	clock := newPacer(FrameDuration)
	concealedRun := 0
	for ctx.Err() == nil {
		clock.wait()
		r.mu.Lock()
		act, data := r.buf.slot()
		shed := r.buf.takeShed()
		r.mu.Unlock()
		for _, p := range shed {
			_, _ = r.dec.Decode(p, pcm) // keeps the decoder in step; not played
		}
		var n int
		var err error
		switch act {
		case playDecode:
			n, err = r.dec.Decode(data, pcm)
			quiet := err == nil && frameQuiet(pcm[:n])
			r.mu.Lock()
			r.buf.decoded(quiet)
			r.mu.Unlock()
		case playFEC:
			n, err = r.dec.DecodeFEC(data, pcm)
		default:
			if concealedRun < silentAfter {
				n, err = r.dec.Conceal(pcm)
			}
		}
		if act == playConceal {
			concealedRun++
		} else {
			concealedRun = 0
		}
		if err != nil || n != FrameSamples {
			// A corrupt packet or one longer than 20 ms: conceal this slot rather than leave a gap.
			r.countDecodeError()
			if n, err = r.dec.Conceal(pcm); err != nil || n != FrameSamples {
				clear(pcm)
			}
		}
		if act == playConceal && concealedRun >= silentAfter {
			clear(pcm)
		}
		r.write(pcm)
	}
}

// startPoll is how often the receiver looks whether playout can start (see readyToStart).
const startPoll = 5 * time.Millisecond

// waitStart waits until the buffer is ready for its first slot; false if ctx ended first.
func (r *AudioReceiver) waitStart(ctx context.Context) bool {
	tick := time.NewTicker(startPoll)
	defer tick.Stop()
	for {
		r.mu.Lock()
		ready := r.buf.readyToStart(time.Since(r.firstAt))
		r.mu.Unlock()
		if ready {
			r.mu.Lock()
			r.buf.stats.StartDelay = time.Since(r.firstAt)
			r.mu.Unlock()
			return true
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false
		}
	}
}

func (r *AudioReceiver) countDecodeError() {
	r.mu.Lock()
	r.buf.stats.DecodeErrors++
	r.mu.Unlock()
}

func (r *AudioReceiver) write(pcm []int16) {
	r.mu.Lock()
	sink := r.sink
	r.mu.Unlock()
	if sink == nil {
		return
	}
	if err := sink.WriteAudio(pcm); err != nil {
		r.mu.Lock()
		r.sinkErr = err
		r.mu.Unlock()
	}
}

// SetSink switches playback to sink (a speaker change mid-call) and closes the previous sink.
func (r *AudioReceiver) SetSink(sink AudioSink) error {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return ErrStopped
	}
	old := r.sink
	r.sink, r.sinkErr = sink, nil
	r.mu.Unlock()
	if old != nil && old != sink {
		if err := old.Close(); err != nil {
			return fmt.Errorf("close previous audio sink: %w", err)
		}
	}
	return nil
}

// SinkErr is the last error the sink returned, or nil.
func (r *AudioReceiver) SinkErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sinkErr
}

// Stats returns a snapshot of the receiver's counters.
func (r *AudioReceiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.stats
}

// Stop ends playback, waits for the goroutines and closes the sink.
func (r *AudioReceiver) Stop() error {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	_ = r.src.SetReadDeadline(time.Now())
	r.wg.Wait()
	r.dec.Close()
	r.mu.Lock()
	sink := r.sink
	r.sink = nil
	r.mu.Unlock()
	if sink != nil {
		if err := sink.Close(); err != nil {
			return fmt.Errorf("close audio sink: %w", err)
		}
	}
	return nil
}
