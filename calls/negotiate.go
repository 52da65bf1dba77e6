package calls

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// startOutgoing builds the PeerConnection, sends the offer and starts the
// ring timer.
func (c *call) startOutgoing(ctx context.Context, video bool) error {
	if err := c.newPeerConnection(ctx); err != nil {
		return err
	}
	c.localVideo = video
	c.setInfo(func(i *CallInfo) { i.LocalVideo = video })
	if err := c.startMedia(); err != nil {
		return err
	}
	c.seqOut = 1
	sdp, err := c.createOffer(false)
	if err != nil {
		return err
	}
	c.send(Signal{Kind: KindOffer, Seq: c.seqOut, Video: video, SDP: sdp}, true, ReasonUnreachable)
	c.startRingTimer()
	return nil
}

// startRingTimer ends an unanswered call after RingTimeout: missed if a
// device rang, unreachable if none did.
func (c *call) startRingTimer() {
	c.ringTimer = c.m.cfg.Clock.AfterFunc(c.m.cfg.RingTimeout, func() {
		c.ex.post(func() {
			switch c.state {
			case StateCalling:
				c.end(ReasonUnreachable, nil, true)
			case StateRinging:
				c.end(ReasonMissed, nil, true)
			}
		})
	})
}

// accept answers an incoming call that is ringing.
func (c *call) accept(ctx context.Context, video bool) error {
	if !c.incoming || c.state != StateRinging || c.offer == nil {
		return fmt.Errorf("accept call in state %v: %w", c.state, ErrWrongState)
	}
	stopTimer(&c.ringTimer)
	offer := c.offer
	if err := c.newPeerConnection(ctx); err != nil {
		return err
	}
	if err := c.setRemote(webrtc.SDPTypeOffer, offer.SDP); err != nil {
		return err
	}
	c.seqIn = offer.Seq
	c.remoteVideo = offer.Video
	c.localVideo = video
	c.setInfo(func(i *CallInfo) { i.LocalVideo = video; i.RemoteVideo = offer.Video })
	if err := c.startMedia(); err != nil {
		return err
	}
	sdp, err := c.createAnswer()
	if err != nil {
		return err
	}
	c.offer = nil
	c.send(Signal{Kind: KindAnswer, Seq: offer.Seq, Video: video, SDP: sdp}, true, ReasonUnreachable)
	c.move(trigAnswered)
	c.startConnectTimer()
	c.emit()
	c.flushCandidates()
	return nil
}

// startConnectTimer ends a call that does not connect in time.
func (c *call) startConnectTimer() {
	c.connectTimer = c.m.cfg.Clock.AfterFunc(c.m.cfg.ConnectTimeout, func() {
		c.ex.post(func() {
			if c.state == StateConnecting {
				c.end(ReasonNoNetworkPath, ErrNoNetworkPath, true)
			}
		})
	})
}

// onAnswer applies the callee's answer to our offer.
func (c *call) onAnswer(s *Signal) {
	if c.incoming || (c.state != StateCalling && c.state != StateRinging) || s.Seq != c.seqOut {
		return // duplicate or stale
	}
	if err := c.setRemote(webrtc.SDPTypeAnswer, s.SDP); err != nil {
		c.end(ReasonFailed, err, true)
		return
	}
	stopTimer(&c.ringTimer)
	c.remoteVideo = s.Video
	c.setInfo(func(i *CallInfo) { i.RemoteVideo = s.Video })
	c.move(trigAnswered)
	c.startConnectTimer()
	c.emit()
	c.flushCandidates()
}

// onUpdateOffer handles the caller's renegotiation or ICE restart offer.
func (c *call) onUpdateOffer(s *Signal) {
	if !c.incoming || c.pc == nil || s.Seq <= c.seqIn ||
		(c.state != StateConnecting && c.state != StateConnected && c.state != StateReconnecting) {
		return
	}
	if err := c.setRemote(webrtc.SDPTypeOffer, s.SDP); err != nil {
		c.end(ReasonFailed, err, true)
		return
	}
	c.seqIn = s.Seq
	sdp, err := c.createAnswer()
	if err != nil {
		c.end(ReasonFailed, err, true)
		return
	}
	c.send(Signal{Kind: KindUpdateAnswer, Seq: s.Seq, Video: c.localVideo, SDP: sdp}, false, 0)
	c.setRemoteVideo(s.Video)
	c.flushCandidates()
}

// onUpdateAnswer applies the answer to our renegotiation or restart offer.
func (c *call) onUpdateAnswer(s *Signal) {
	if c.pc == nil || c.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer || s.Seq != c.seqOut {
		return
	}
	if err := c.setRemote(webrtc.SDPTypeAnswer, s.SDP); err != nil {
		c.end(ReasonFailed, err, true)
		return
	}
	c.setRemoteVideo(s.Video)
	c.flushCandidates()
	c.afterStable()
}

// onUpdateAsk answers the callee's request for a new offer.
func (c *call) onUpdateAsk(restart bool) {
	if c.incoming || c.pc == nil || (c.state != StateConnecting && c.state != StateConnected && c.state != StateReconnecting) {
		return
	}
	if restart {
		c.restartICE()
	} else {
		c.sendUpdate(false)
	}
}

func (c *call) setRemoteVideo(v bool) {
	if v == c.remoteVideo {
		return
	}
	c.remoteVideo = v
	c.setInfo(func(i *CallInfo) { i.RemoteVideo = v })
	c.emit()
}

// afterStable runs a renegotiation that had to wait.
func (c *call) afterStable() {
	if c.renegotiate {
		restart := c.restartWanted
		c.renegotiate, c.restartWanted = false, false
		c.sendUpdate(restart)
	}
}

// sendUpdate sends a new offer: a renegotiation, or with restart an ICE
// restart. If an offer is already out it waits for its answer. The callee
// makes no offers; it asks the caller for one.
func (c *call) sendUpdate(restart bool) {
	if c.pc == nil || c.state == StateEnded {
		return
	}
	if c.incoming {
		kind := KindRenegotiateAsk
		if restart {
			kind = KindICERestartAsk
		}
		c.send(Signal{Kind: kind}, false, 0)
		return
	}
	if c.pc.SignalingState() != webrtc.SignalingStateStable {
		c.renegotiate = true
		c.restartWanted = c.restartWanted || restart
		return
	}
	c.seqOut++
	sdp, err := c.createOffer(restart)
	if err != nil {
		c.end(ReasonFailed, err, true)
		return
	}
	kind := KindRenegotiate
	if restart {
		kind = KindICERestart
	}
	c.send(Signal{Kind: kind, Seq: c.seqOut, Video: c.localVideo, SDP: sdp}, false, 0)
}

// restartICE refreshes the ICE servers (TURN credentials are short-lived)
// and sends an ICE restart offer (the caller) or asks for one (the callee).
func (c *call) restartICE() {
	if c.pc == nil {
		return
	}
	if c.incoming {
		c.sendUpdate(true)
		return
	}
	ctx, cancel := context.WithTimeout(c.m.ctx, signalSendTimeout)
	defer cancel()
	if servers, err := c.m.cfg.ICEServers(ctx); err == nil && len(servers) > 0 {
		conf := c.pc.GetConfiguration()
		conf.ICEServers = servers
		if err := c.pc.SetConfiguration(conf); err != nil {
			c.m.cfg.Logger.Info("calls: refresh ice servers", "call", c.id, "err", err)
		}
	}
	c.sendUpdate(true)
}

func (c *call) createOffer(restart bool) (string, error) {
	offer, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		return "", fmt.Errorf("create offer: %w", err)
	}
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("set local offer: %w", err)
	}
	return offer.SDP, nil
}

func (c *call) createAnswer() (string, error) {
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("create answer: %w", err)
	}
	if err := c.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("set local answer: %w", err)
	}
	return answer.SDP, nil
}

// setRemote applies a remote description and remembers its DTLS
// fingerprints and ICE ufrag.
func (c *call) setRemote(typ webrtc.SDPType, raw string) error {
	fps, err := sdpFingerprints(raw)
	if err != nil {
		return fmt.Errorf("remote %v: %w", typ, err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: typ, SDP: raw}); err != nil {
		return fmt.Errorf("set remote %v: %w", typ, err)
	}
	c.remoteFP = fps
	c.remoteSet = true
	c.remoteUfrag = sdpUfrag(raw)
	return nil
}

// sendCandidate trickles one local candidate to the peer.
func (c *call) sendCandidate(init webrtc.ICECandidateInit) {
	if c.state == StateEnded || c.pc == nil {
		return
	}
	var mid string
	if init.SDPMid != nil {
		mid = *init.SDPMid
	}
	var ufrag string
	if d := c.pc.LocalDescription(); d != nil {
		ufrag = sdpUfrag(d.SDP)
	}
	c.send(Signal{Kind: KindCandidate, Cand: Candidate{Candidate: init.Candidate, Mid: mid, Ufrag: ufrag}}, false, 0)
}

// onCandidate adds a remote candidate, or keeps it until the description of
// its ICE generation is applied.
func (c *call) onCandidate(cand Candidate) {
	if c.pc == nil || !c.remoteSet || (cand.Ufrag != "" && cand.Ufrag != c.remoteUfrag) {
		if len(c.pending) >= maxEarlyCandidates {
			c.pending = c.pending[1:]
		}
		c.pending = append(c.pending, cand)
		return
	}
	init := webrtc.ICECandidateInit{Candidate: cand.Candidate}
	if cand.Mid != "" {
		init.SDPMid = &cand.Mid
	} else {
		var zero uint16
		init.SDPMLineIndex = &zero
	}
	if err := c.pc.AddICECandidate(init); err != nil {
		c.m.cfg.Logger.Debug("calls: remote candidate refused", "call", c.id, "err", err)
	}
}

// flushCandidates adds the kept candidates that belong to the current
// remote description.
func (c *call) flushCandidates() {
	kept := c.pending
	c.pending = nil
	for _, cand := range kept {
		c.onCandidate(cand)
	}
}
