package calls

import (
	"context"
	"sync"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// call is one call. Everything below "guarded by ex" is only read and
// written by functions running on ex.
type call struct {
	m        *Manager
	id       CallID
	peer     string
	incoming bool
	ex       serial // the call's state machine runs here
	tx       serial // outgoing signals, in order

	infoMu sync.Mutex
	info   CallInfo // what Calls and Info return

	// guarded by ex
	state          State
	pc             *webrtc.PeerConnection
	estimator      cc.BandwidthEstimator
	target         targetCap // the estimator's target and a fast cut's cap on it
	queue          *queueDetector
	media          *pipeline
	offer          *Signal // incoming: the offer, until accepted
	remoteSet      bool    // a remote description is applied
	remoteUfrag    string  // ICE ufrag of the applied remote description
	remoteFP       []remoteFingerprint
	pending        []Candidate // candidates that arrived before their description
	seqOut, seqIn  uint32      // last offer generation sent / applied
	renegotiate    bool        // caller: a renegotiation waits for the answer to the last offer
	restartWanted  bool        // caller: the waiting renegotiation is an ICE restart
	localVideo     bool
	remoteVideo    bool
	muted          bool
	everConnected  bool
	reconnectGen   int
	ringTimer      Timer
	connectTimer   Timer
	reconnectTimer Timer
	restartTimer   Timer
	cancelMedia    context.CancelFunc
}

func newCall(m *Manager, id CallID, peer string, incoming bool, state State) *call {
	c := &call{m: m, id: id, peer: peer, incoming: incoming, state: state}
	c.info = CallInfo{ID: id, Peer: peer, Incoming: incoming, State: state, Started: m.cfg.Clock.Now()}
	return c
}

func (c *call) snapshot() CallInfo {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	return c.info
}

// setInfo updates the snapshot from the state guarded by ex.
func (c *call) setInfo(f func(*CallInfo)) {
	c.infoMu.Lock()
	f(&c.info)
	c.infoMu.Unlock()
}

// move applies trigger t and reports the new state. A stale or duplicate
// trigger (no such edge) leaves the state alone and returns false.
func (c *call) move(t trigger) bool {
	s, err := next(c.state, t)
	if err != nil {
		c.m.cfg.Logger.Debug("calls: ignored transition", "call", c.id, "err", err)
		return false
	}
	c.state = s
	now := c.m.cfg.Clock.Now()
	c.setInfo(func(i *CallInfo) {
		i.State = s
		if s == StateConnected && i.Connected.IsZero() {
			i.Connected = now
		}
		if s == StateEnded {
			i.Ended = now
		}
	})
	return true
}

// emit reports the current state to the app.
func (c *call) emit() {
	i := c.snapshot()
	video := c.remoteVideo
	if c.state == StateRinging && c.incoming && c.offer != nil {
		video = c.offer.Video
	}
	c.m.cfg.Events(Event{Call: c.id, Peer: c.peer, Incoming: c.incoming, State: i.State, Reason: i.Reason, Err: i.Err, Video: video})
}

// send queues s for delivery to the peer. If critical (the offer, the
// answer) and delivery fails, the call ends with reason onFail.
func (c *call) send(s Signal, critical bool, onFail EndReason) {
	s.Call = c.id
	blob, err := s.Marshal()
	if err != nil {
		c.end(ReasonFailed, err, false)
		return
	}
	m := c.m
	m.wg.Add(1)
	c.tx.post(func() {
		defer m.wg.Done()
		ctx, cancel := context.WithTimeout(m.ctx, signalSendTimeout)
		defer cancel()
		if err := m.cfg.Signaler.SendSignal(ctx, c.peer, blob); err != nil {
			m.cfg.Logger.Info("calls: signal not delivered", "call", c.id, "kind", s.Kind, "err", err)
			if critical {
				c.ex.post(func() { c.end(onFail, err, false) })
			}
		}
	})
}

// end ends the call once: timers stop, media stops, the PeerConnection
// closes, the peer is told (if notify) and the app gets the final event.
func (c *call) end(reason EndReason, err error, notify bool) {
	if !c.move(trigEnd) {
		return
	}
	c.setInfo(func(i *CallInfo) { i.Reason = reason; i.Err = err })
	for _, t := range []*Timer{&c.ringTimer, &c.connectTimer, &c.reconnectTimer, &c.restartTimer} {
		stopTimer(t)
	}
	if notify {
		c.send(Signal{Kind: KindHangup, Reason: reason}, false, 0)
	}
	if c.media != nil {
		c.media.stop()
	}
	if c.cancelMedia != nil {
		c.cancelMedia()
	}
	if c.pc != nil {
		pc := c.pc
		// Close runs pion's callbacks, which post back to ex; closing on
		// another goroutine keeps this queue free to drain them.
		c.m.wg.Add(1)
		go func() { defer c.m.wg.Done(); _ = pc.Close() }()
		c.pc = nil // late pion callbacks see a foreign connection and stop
	}
	c.media = nil
	c.m.forget(c)
	c.emit()
}
