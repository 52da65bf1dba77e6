package calls

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/calls/media"
)

// CallStats is a snapshot of a call's connection and media.
type CallStats struct {
	State State
	// Candidate types of the selected pair ("host", "srflx", "prflx",
	// "relay"); empty before ICE has selected one.
	LocalCandidate, RemoteCandidate string
	RTT                             time.Duration // ICE round trip on the selected pair
	TargetBitrate                   int           // the bandwidth estimator's target, bits per second (capped by a fast cut: see queueDetector)
	BytesSent, BytesReceived        uint64
	QueueCuts                       int // times the queue detector cut the target (see queueDetector)
	// Audio and Video are the receivers' counters (packets, loss, FEC,
	// concealment, frames decoded, jitter); zero when nothing plays that
	// direction.
	Audio, Video media.ReceiverStats
	// Packets of remote tracks read but not played (no sink).
	AudioPacketsDrained, VideoPacketsDrained uint64
	AudioFramesSent                          uint64
	FirstAudioPlayed                         time.Time // first remote audio frame written to the sink; zero if none yet
}

// Stats returns a snapshot of call id's connection and media.
func (m *Manager) Stats(id CallID) (CallStats, error) {
	c, err := m.lookup(id)
	if err != nil {
		return CallStats{}, err
	}
	var st CallStats
	err = c.ex.do(func() error {
		st.State = c.state
		if c.pc == nil {
			return nil
		}
		if pair, err := c.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair(); err == nil && pair != nil {
			st.LocalCandidate = pair.Local.Typ.String()
			st.RemoteCandidate = pair.Remote.Typ.String()
		}
		for _, s := range c.pc.GetStats() {
			if p, ok := s.(webrtc.ICECandidatePairStats); ok && p.Nominated {
				st.RTT = time.Duration(p.CurrentRoundTripTime * float64(time.Second))
				st.BytesSent, st.BytesReceived = p.BytesSent, p.BytesReceived
			}
		}
		if c.estimator != nil {
			st.TargetBitrate = c.estimator.GetTargetBitrate()
			st.QueueCuts = c.target.cuts
			if capped := c.target.current(time.Now()); capped > 0 {
				st.TargetBitrate = min(st.TargetBitrate, capped)
			}
		}
		if p := c.media; p != nil {
			st.AudioPacketsDrained = p.audioPkts.Load()
			st.VideoPacketsDrained = p.videoPkts.Load()
			if p.audioRecv != nil {
				st.Audio = p.audioRecv.Stats()
			}
			if p.videoRecv != nil {
				st.Video = p.videoRecv.Stats()
			}
			if p.audioSend != nil {
				st.AudioFramesSent = p.audioSend.FramesSent()
			}
			if n := p.firstPlayed.Load(); n != 0 {
				st.FirstAudioPlayed = time.Unix(0, n)
			}
		}
		return nil
	})
	if err != nil {
		return CallStats{}, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}
