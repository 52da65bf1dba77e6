package calls

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/calls/media"
)

// pipeline is one call's media: local tracks fed by calls/media senders
// from the sources Config.Media opens, and receivers that play the remote
// tracks into its sinks. Its methods run on the call's queue.
type pipeline struct {
	c      *call
	ctx    context.Context
	cancel context.CancelFunc

	audioTrack  *webrtc.TrackLocalStaticSample
	audioSend   *media.AudioSender
	videoTrack  *webrtc.TrackLocalStaticSample
	videoRTP    *webrtc.RTPSender
	videoSend   *media.VideoSender
	audioSink   *firstWrite // wraps the app's sink; nil until the remote audio track arrives
	audioRecv   *media.AudioReceiver
	videoRecv   *media.VideoReceiver
	audioPkts   atomic.Uint64 // when nothing plays the remote audio, what arrived anyway
	videoPkts   atomic.Uint64
	live        bool         // connected once: sources are open and senders run
	videoStep   int          // index into videoSteps
	firstPlayed atomic.Int64 // unix nanos of the first audio frame written to the sink
}

// startMedia adds the call's tracks to its PeerConnection: audio always;
// video if the camera is on, otherwise (caller) a receive-only video
// transceiver so the callee can answer with video without renegotiating.
func (c *call) startMedia() error {
	ctx, cancel := context.WithCancel(c.m.ctx)
	p := &pipeline{c: c, ctx: ctx, cancel: cancel}
	c.media = p
	var err error
	p.audioTrack, err = webrtc.NewTrackLocalStaticSample(media.OpusCapability, "audio", "sotto")
	if err != nil {
		return fmt.Errorf("audio track: %w", err)
	}
	sender, err := c.pc.AddTrack(p.audioTrack)
	if err != nil {
		return fmt.Errorf("add audio track: %w", err)
	}
	go media.ForwardKeyframeRequests(sender, nil) // reads RTCP so NACK and reports work
	if c.localVideo {
		return p.setCamera(true)
	}
	if !c.incoming {
		if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fmt.Errorf("video transceiver: %w", err)
		}
	}
	return nil
}

func (p *pipeline) factory() MediaFactory { return p.c.m.cfg.Media }

// openAudioSource starts (or re-sources) the audio sender.
func (p *pipeline) openAudioSource() error {
	f := p.factory()
	if f == nil {
		return nil
	}
	src, err := f.AudioSource(p.c.snapshot())
	if err != nil {
		return fmt.Errorf("open microphone: %w", err)
	}
	if src == nil {
		return nil
	}
	if p.audioSend != nil {
		return p.audioSend.SetSource(src)
	}
	if !p.live {
		src.Close()
		return nil
	}
	p.audioSend, err = media.StartAudioSender(p.ctx, p.audioTrack, src, media.AudioConfig{})
	if err != nil {
		src.Close()
		return err
	}
	p.audioSend.SetMuted(p.c.muted)
	return nil
}

// setCamera adds the video track and its sender, or stops and removes them.
func (p *pipeline) setCamera(on bool) error {
	pc := p.c.pc
	if !on {
		if p.videoSend != nil {
			_ = p.videoSend.Stop()
			p.videoSend = nil
		}
		if p.videoRTP != nil {
			if err := pc.RemoveTrack(p.videoRTP); err != nil {
				return fmt.Errorf("remove video track: %w", err)
			}
			p.videoRTP = nil
		}
		return nil
	}
	var err error
	p.videoTrack, err = webrtc.NewTrackLocalStaticSample(media.VP8Capability, "video", "sotto")
	if err != nil {
		return fmt.Errorf("video track: %w", err)
	}
	p.videoRTP, err = pc.AddTrack(p.videoTrack)
	if err != nil {
		return fmt.Errorf("add video track: %w", err)
	}
	if p.live {
		return p.startVideoSender()
	}
	return nil
}

// startSenders opens the microphone (and camera) once the call is
// connected: nothing is captured while a call rings.
func (p *pipeline) startSenders() error {
	if p.live {
		return nil
	}
	p.live = true
	if err := p.openAudioSource(); err != nil {
		return err
	}
	if p.videoRTP != nil {
		return p.startVideoSender()
	}
	return nil
}

// startVideoSender opens the camera and sends it on the video track; it
// also reads the track's RTCP, forwarding keyframe requests.
func (p *pipeline) startVideoSender() error {
	f := p.factory()
	var src media.VideoSource
	if f != nil {
		var err error
		if src, err = f.VideoSource(p.c.snapshot()); err != nil {
			go media.ForwardKeyframeRequests(p.videoRTP, nil)
			return fmt.Errorf("open camera: %w", err)
		}
	}
	if src == nil {
		go media.ForwardKeyframeRequests(p.videoRTP, nil)
		return nil
	}
	vs, err := media.StartVideoSender(p.ctx, p.videoTrack, src, media.VideoConfig{})
	if err != nil {
		src.Close()
		go media.ForwardKeyframeRequests(p.videoRTP, nil)
		return err
	}
	p.videoSend = vs
	go media.ForwardKeyframeRequests(p.videoRTP, p.keyframeRequested)
	return nil
}

// keyframeRequested answers a PLI or FIR: with a small keyframe while a queue stands at the
// bottleneck, where a full one (7 kB at 720p) only deepens it (calls/nettest: a receiver that
// lost a frame as a 300 kbit/s cap came asked for one, and it went into the full queue).
func (p *pipeline) keyframeRequested() {
	if q := p.c.queue; q != nil && q.queued() >= congestedQueue {
		p.videoSend.RequestSmallKeyframe()
		return
	}
	p.videoSend.RequestKeyframe()
}

// onTrack plays a remote track into a sink from Config.Media, or counts
// and discards its packets when there is none.
func (c *call) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	p := c.media
	if p == nil || c.state == StateEnded {
		return
	}
	if err := p.receive(t); err != nil {
		c.m.cfg.Logger.Info("calls: remote track not played", "call", c.id, "kind", t.Kind(), "err", err)
		go p.drain(t)
	}
}

func (p *pipeline) receive(t *webrtc.TrackRemote) error {
	f := p.factory()
	if f == nil {
		go p.drain(t)
		return nil
	}
	info := p.c.snapshot()
	switch t.Kind() {
	case webrtc.RTPCodecTypeAudio:
		sink, err := f.AudioSink(info)
		if err != nil || sink == nil {
			go p.drain(t)
			return err
		}
		if p.audioRecv != nil {
			_ = p.audioRecv.Stop()
		}
		p.audioSink = &firstWrite{sink: sink, first: &p.firstPlayed}
		p.audioRecv, err = media.StartAudioReceiver(p.ctx, t, p.audioSink)
		return err
	case webrtc.RTPCodecTypeVideo:
		sink, err := f.VideoSink(info)
		if err != nil || sink == nil {
			go p.drain(t)
			return err
		}
		if p.videoRecv != nil {
			_ = p.videoRecv.Stop()
		}
		pc := p.c.pc
		p.videoRecv, err = media.StartVideoReceiver(p.ctx, t, sink, func() { _ = media.SendPLI(pc, t) })
		return err
	}
	return nil
}

// drain reads a track nobody plays, so its RTCP and NACK machinery runs.
func (p *pipeline) drain(t *webrtc.TrackRemote) {
	for {
		if _, _, err := t.ReadRTP(); err != nil {
			return
		}
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			p.audioPkts.Add(1)
		} else {
			p.videoPkts.Add(1)
		}
	}
}

// Audio gets a voice bitrate out of the estimate; video gets the rest.
const (
	audioBitrateHigh = 32_000
	audioBitrateLow  = 16_000
	minVideoBitrate  = 100_000
)

// audioBitrateFor is the voice bitrate for the estimator's target bps. On a video call the audio
// drops to audioBitrateLow under 150 kbit/s so the video keeps its floor. On a voice-only call the
// estimate says nothing about whether 32 kbit/s fits: once GCC's delay detector has fired (under CPU
// load a starved receiver is enough) its estimate is 0.85 × what it saw acknowledged — the audio
// alone, about 40 kbit/s with headers — clamped at minBitrate, and it climbs back at a few per cent a
// second. Following it halved the voice for the rest of the call (TestVoiceCall under -race: the
// audio came at 16 kbit/s in 4 of 12 loaded runs, correlation 0.90–0.94 against 0.95).
func audioBitrateFor(bps int, video bool) int {
	if video && bps < 150_000 {
		return audioBitrateLow
	}
	return audioBitrateHigh
}

// setBitrate splits the bandwidth estimator's target between the senders.
func (p *pipeline) setBitrate(bps int) {
	audio := audioBitrateFor(bps, p.videoSend != nil)
	if p.audioSend != nil {
		_ = p.audioSend.SetBitrate(audio)
	}
	if p.videoSend != nil {
		video := max(bps-audio, minVideoBitrate)
		_ = p.videoSend.SetBitrate(video)
		p.videoStep = videoStepFor(video, p.videoStep)
		r := videoSteps[p.videoStep]
		p.videoSend.SetMaxResolution(r.w, r.h)
	}
}

// videoSteps are the resolution caps bandwidth estimation steps through (720p → 360p → 180p):
// at a bitrate below a step's floor its keyframes are too big to get through in time.
var videoSteps = []struct{ w, h, floor int }{
	{1280, 720, 900_000},
	{640, 360, 300_000},
	{320, 180, 0},
}

// videoStepFor picks the step for a video bitrate: down at once, up only with 30% headroom over
// the floor, so an estimate hovering at a floor does not restart the encoder over and over.
func videoStepFor(bps, cur int) int {
	for i, st := range videoSteps {
		if bps >= st.floor && (i >= cur || bps >= st.floor*13/10) {
			return i
		}
	}
	return len(videoSteps) - 1
}

func (p *pipeline) setMuted(muted bool) {
	if p.audioSend != nil {
		p.audioSend.SetMuted(muted)
	}
}

// reopen asks Config.Media for the call's sources and sinks again and
// switches to them without renegotiating.
func (p *pipeline) reopen() error {
	f := p.factory()
	if f == nil {
		return nil
	}
	info := p.c.snapshot()
	var errs []error
	if p.live {
		errs = append(errs, p.openAudioSource())
	}
	if p.videoSend != nil {
		if src, err := f.VideoSource(info); err != nil {
			errs = append(errs, fmt.Errorf("open camera: %w", err))
		} else if src != nil {
			errs = append(errs, p.videoSend.SetSource(src))
		}
	}
	if p.audioRecv != nil {
		if sink, err := f.AudioSink(info); err != nil {
			errs = append(errs, fmt.Errorf("open speaker: %w", err))
		} else if sink != nil {
			p.audioSink = &firstWrite{sink: sink, first: &p.firstPlayed}
			errs = append(errs, p.audioRecv.SetSink(p.audioSink))
		}
	}
	if p.videoRecv != nil {
		if sink, err := f.VideoSink(info); err != nil {
			errs = append(errs, fmt.Errorf("open video sink: %w", err))
		} else if sink != nil {
			errs = append(errs, p.videoRecv.SetSink(sink))
		}
	}
	return errors.Join(errs...)
}

// stop ends every sender and receiver (closing their sources and sinks).
func (p *pipeline) stop() {
	if p.audioSend != nil {
		_ = p.audioSend.Stop()
	}
	if p.videoSend != nil {
		_ = p.videoSend.Stop()
	}
	if p.audioRecv != nil {
		_ = p.audioRecv.Stop()
	}
	if p.videoRecv != nil {
		_ = p.videoRecv.Stop()
	}
	p.cancel()
}

// firstWrite records when the first audio frame was played.
type firstWrite struct {
	sink  media.AudioSink
	first *atomic.Int64 // unix nanos; zero until then
}

func (w *firstWrite) WriteAudio(frame []int16) error {
	if w.first.Load() == 0 {
		w.first.CompareAndSwap(0, time.Now().UnixNano())
	}
	return w.sink.WriteAudio(frame)
}

func (w *firstWrite) Close() error { return w.sink.Close() }
