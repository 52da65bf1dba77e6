package calls

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// pipeline is one call's media: the local tracks and what reads the remote
// ones. It is only used from the call's queue, except the atomic counters.
type pipeline struct {
	c           *call
	audioTrack  *webrtc.TrackLocalStaticSample
	videoTrack  *webrtc.TrackLocalStaticSample
	videoSender *webrtc.RTPSender
	firstAudio  atomic.Int64 // unix nanos of the first remote audio packet
	audioPkts   atomic.Uint64
	videoPkts   atomic.Uint64
}

// startMedia adds the call's tracks to its PeerConnection: audio always;
// video if the camera is on, otherwise a receive-only video transceiver so
// the peer can send video without another round of negotiation.
func (c *call) startMedia() error {
	p := &pipeline{c: c}
	c.media = p
	var err error
	p.audioTrack, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "sotto")
	if err != nil {
		return fmt.Errorf("audio track: %w", err)
	}
	if _, err := c.pc.AddTrack(p.audioTrack); err != nil {
		return fmt.Errorf("add audio track: %w", err)
	}
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

// setCamera adds or removes the video track.
func (p *pipeline) setCamera(on bool) error {
	pc := p.c.pc
	if !on {
		if p.videoSender == nil {
			return nil
		}
		if err := pc.RemoveTrack(p.videoSender); err != nil {
			return fmt.Errorf("remove video track: %w", err)
		}
		p.videoSender = nil
		return nil
	}
	var err error
	p.videoTrack, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "sotto")
	if err != nil {
		return fmt.Errorf("video track: %w", err)
	}
	p.videoSender, err = pc.AddTrack(p.videoTrack)
	if err != nil {
		return fmt.Errorf("add video track: %w", err)
	}
	return nil
}

// onTrack starts reading a remote track.
func (c *call) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	p := c.media
	if p == nil || c.state == StateEnded {
		return
	}
	go func() {
		for {
			if _, _, err := t.ReadRTP(); err != nil {
				return
			}
			if t.Kind() == webrtc.RTPCodecTypeAudio {
				if p.audioPkts.Add(1) == 1 {
					p.firstAudio.Store(time.Now().UnixNano())
				}
			} else {
				p.videoPkts.Add(1)
			}
		}
	}()
}

func (p *pipeline) setBitrate(int) {}
func (p *pipeline) setMuted(bool)  {}
func (p *pipeline) reopen() error  { return nil }
func (p *pipeline) stop()          {}
