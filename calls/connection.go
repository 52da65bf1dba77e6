package calls

import (
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// watch routes pion's callbacks onto the call's queue.
func (c *call) watch(pc *webrtc.PeerConnection) {
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		init := cand.ToJSON()
		c.ex.post(func() { c.sendCandidate(init) })
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		c.ex.post(func() { c.onConnectionState(pc, s) })
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		c.ex.post(func() { c.onTrack(t, r) })
	})
}

func (c *call) onConnectionState(pc *webrtc.PeerConnection, s webrtc.PeerConnectionState) {
	if pc != c.pc || c.state == StateEnded {
		return
	}
	c.m.cfg.Logger.Debug("calls: connection state", "call", c.id, "incoming", c.incoming, "state", s, "dtls", pc.SCTP().Transport().State(), "ice", pc.ICEConnectionState(), "cert", len(pc.SCTP().Transport().GetRemoteCertificate()))
	switch s {
	case webrtc.PeerConnectionStateConnected:
		// Belt and braces: pion has checked the certificate against the
		// fingerprint; check again before saying "connected".
		if err := checkFingerprint(c.pc.SCTP().Transport().GetRemoteCertificate(), c.remoteFP); err != nil {
			c.end(ReasonFailed, fmt.Errorf("dtls: %w", err), true)
			return
		}
		stopTimer(&c.connectTimer)
		stopTimer(&c.reconnectTimer)
		stopTimer(&c.restartTimer)
		c.everConnected = true
		if c.move(trigConnected) {
			if err := c.media.startSenders(); err != nil {
				c.m.cfg.Logger.Info("calls: media source not opened", "call", c.id, "err", err)
				c.setInfo(func(i *CallInfo) { i.Err = err })
			}
			c.emit()
		}
	case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed:
		if err := c.dtlsFailure(); err != nil {
			c.end(ReasonFailed, err, true)
			return
		}
		if !c.everConnected {
			if s == webrtc.PeerConnectionStateFailed {
				c.end(ReasonNoNetworkPath, ErrNoNetworkPath, true)
			}
			return
		}
		if c.state == StateConnected && c.move(trigLost) {
			c.emit()
			c.startReconnecting()
		}
		if s == webrtc.PeerConnectionStateFailed && c.state == StateReconnecting {
			c.restartICE()
		}
	case webrtc.PeerConnectionStateClosed:
		// Only we close it (in end), so pion closed it underneath us.
		err := c.dtlsFailure()
		if err == nil {
			err = errors.New("media connection closed")
		}
		c.end(ReasonFailed, err, true)
	}
}

// dtlsFailure returns why DTLS failed, or nil if it has not. A remote
// certificate that does not match the signaled fingerprint is named as such
// whatever state pion has moved the transport to since.
func (c *call) dtlsFailure() error {
	t := c.pc.SCTP().Transport()
	if der := t.GetRemoteCertificate(); len(der) > 0 {
		if err := checkFingerprint(der, c.remoteFP); errors.Is(err, ErrFingerprintMismatch) {
			return fmt.Errorf("dtls: %w", err)
		}
	}
	switch t.State() {
	case webrtc.DTLSTransportStateFailed:
		return errors.New("dtls handshake failed")
	case webrtc.DTLSTransportStateClosed:
		if !c.everConnected {
			return errors.New("dtls handshake failed")
		}
	}
	return nil
}

// startReconnecting begins recovery: the caller restarts ICE at once; the
// callee waits a little for the caller's restart and then restarts itself
// (the caller may not have noticed). If nothing recovers within
// ReconnectTimeout the call ends.
func (c *call) startReconnecting() {
	c.reconnectGen++
	gen := c.reconnectGen
	cfg := &c.m.cfg
	c.reconnectTimer = cfg.Clock.AfterFunc(cfg.ReconnectTimeout, func() {
		c.ex.post(func() {
			if c.reconnectGen == gen && c.state == StateReconnecting {
				c.end(ReasonConnectionLost, ErrConnectionLost, true)
			}
		})
	})
	if !c.incoming {
		c.restartICE()
		return
	}
	c.restartTimer = cfg.Clock.AfterFunc(cfg.ReconnectTimeout/4, func() {
		c.ex.post(func() {
			if c.reconnectGen == gen && c.state == StateReconnecting {
				c.restartICE()
			}
		})
	})
}
