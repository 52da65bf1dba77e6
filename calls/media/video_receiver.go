package media

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/calls/media/internal/vp8"
)

const (
	// pollInterval is how often the receiver checks whether a hole's NACK wait is over.
	pollInterval = 5 * time.Millisecond
	// keyframeRetry: while waiting for a keyframe, ask again this often, or later when repairs
	// take longer (see frameBuffer.reaskAfter).
	keyframeRetry = 300 * time.Millisecond
)

// VideoReceiver decodes a remote VP8 track into a sink. Frames are decoded the moment the jitter
// buffer completes them. After unrepaired loss or a decode error it drops frames until a keyframe
// and asks for one through requestKeyframe (the session sends a PLI). It owns its sink.
type VideoReceiver struct {
	src             rtpSource
	requestKeyframe func()
	dec             *vp8.Decoder
	cancel          context.CancelFunc
	wg              sync.WaitGroup
	frames          chan encodedFrame

	mu           sync.Mutex
	buf          *frameBuffer
	sink         VideoSink
	stopped      bool
	sinkErr      error
	decoded      uint64
	dropped      uint64
	decodeErrors uint64
	kfRequests   uint64
}

// StartVideoReceiver starts reading track and decoding it into sink until Stop or ctx ends.
// requestKeyframe may be nil.
func StartVideoReceiver(ctx context.Context, track *webrtc.TrackRemote, sink VideoSink, requestKeyframe func()) (*VideoReceiver, error) {
	if track == nil || sink == nil {
		return nil, errors.New("start video receiver: nil track or sink")
	}
	if mt := track.Codec().MimeType; !strings.EqualFold(mt, webrtc.MimeTypeVP8) {
		return nil, fmt.Errorf("start video receiver: %w: %q, want VP8", ErrCodec, mt)
	}
	return startVideoReceiver(ctx, track, sink, requestKeyframe)
}

func startVideoReceiver(ctx context.Context, src rtpSource, sink VideoSink, requestKeyframe func()) (*VideoReceiver, error) {
	dec, err := vp8.NewDecoder()
	if err != nil {
		return nil, fmt.Errorf("start video receiver: %w", err)
	}
	if requestKeyframe == nil {
		requestKeyframe = func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &VideoReceiver{src: src, requestKeyframe: requestKeyframe, dec: dec, cancel: cancel,
		frames: make(chan encodedFrame, 64), buf: newFrameBuffer(depayVP8), sink: sink}
	r.wg.Add(3)
	go r.read(ctx)
	go r.poll(ctx)
	go r.decode(ctx)
	return r, nil
}

func (r *VideoReceiver) read(ctx context.Context) {
	defer r.wg.Done()
	for ctx.Err() == nil {
		p, _, err := r.src.ReadRTP()
		if err != nil {
			return
		}
		r.mu.Lock()
		out := r.buf.push(p, time.Now())
		r.mu.Unlock()
		r.deliver(ctx, out)
	}
}

func (r *VideoReceiver) poll(ctx context.Context) {
	defer r.wg.Done()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.mu.Lock()
			out := r.buf.poll(now)
			r.mu.Unlock()
			r.deliver(ctx, out)
		}
	}
}

func (r *VideoReceiver) deliver(ctx context.Context, frames []encodedFrame) {
	for _, f := range frames {
		select {
		case r.frames <- f:
		case <-ctx.Done():
			return
		}
	}
}

func (r *VideoReceiver) decode(ctx context.Context) {
	defer r.wg.Done()
	needKey := true
	var lastAsk time.Time
	ask := func() {
		r.mu.Lock()
		retry := r.buf.reaskAfter()
		if time.Since(lastAsk) < retry {
			r.mu.Unlock()
			return
		}
		lastAsk = time.Now()
		r.kfRequests++
		r.mu.Unlock()
		r.requestKeyframe()
	}
	var number uint32
	for {
		var f encodedFrame
		select {
		case <-ctx.Done():
			return
		case f = <-r.frames:
		}
		if f.afterLoss && !f.keyframe {
			needKey = true
		}
		if f.keyframe {
			needKey = false
		}
		if needKey {
			r.count(&r.dropped)
			ask()
			continue
		}
		im, err := r.dec.Decode(f.data)
		if err != nil {
			if !errors.Is(err, vp8.ErrNoPicture) {
				r.count(&r.decodeErrors)
				needKey = true
				ask()
			}
			continue
		}
		number++
		out := &VideoFrame{Width: im.Width, Height: im.Height, Y: im.Y, U: im.U, V: im.V, Number: number, Captured: time.Now()}
		r.count(&r.decoded)
		r.write(out)
	}
}

func (r *VideoReceiver) count(c *uint64) {
	r.mu.Lock()
	*c++
	r.mu.Unlock()
}

func (r *VideoReceiver) write(f *VideoFrame) {
	r.mu.Lock()
	sink := r.sink
	r.mu.Unlock()
	if sink == nil {
		return
	}
	if err := sink.WriteVideo(f); err != nil {
		r.mu.Lock()
		r.sinkErr = err
		r.mu.Unlock()
	}
}

// SetSink switches output to sink and closes the previous sink.
func (r *VideoReceiver) SetSink(sink VideoSink) error {
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
			return fmt.Errorf("close previous video sink: %w", err)
		}
	}
	return nil
}

// SinkErr is the last error the sink returned, or nil.
func (r *VideoReceiver) SinkErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sinkErr
}

// Stats returns a snapshot of the receiver's counters.
func (r *VideoReceiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.buf.stats
	st.FramesDecoded, st.FramesDropped, st.KeyframeRequests = r.decoded, r.dropped, r.kfRequests
	st.DecodeErrors += r.decodeErrors
	return st
}

// Stop ends decoding, waits for the goroutines and closes the sink.
func (r *VideoReceiver) Stop() error {
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
			return fmt.Errorf("close video sink: %w", err)
		}
	}
	return nil
}
