package calls

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// CallStats is a snapshot of a call's connection and media.
type CallStats struct {
	State State
	// Candidate types of the selected pair ("host", "srflx", "prflx",
	// "relay"); empty before ICE has selected one.
	LocalCandidate, RemoteCandidate string
	RTT                             time.Duration // ICE round trip on the selected pair
	TargetBitrate                   int           // the bandwidth estimator's target, bits per second
	BytesSent, BytesReceived        uint64
	AudioPacketsReceived            uint64
	VideoPacketsReceived            uint64
	FirstAudio                      time.Time // first remote audio packet; zero if none yet
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
		}
		if p := c.media; p != nil {
			st.AudioPacketsReceived = p.audioPkts.Load()
			st.VideoPacketsReceived = p.videoPkts.Load()
			if n := p.firstAudio.Load(); n != 0 {
				st.FirstAudio = time.Unix(0, n)
			}
		}
		return nil
	})
	if err != nil {
		return CallStats{}, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}
