package calls

import (
	"context"
	"errors"
	"fmt"
)

// HandleSignal processes one decrypted call signal from peer. The app calls
// it for every call message, in the order received; duplicates, reordering
// and signals for calls that ended are tolerated. It returns an error only
// for a malformed blob, a signal that names another peer's call, or after
// Close.
func (m *Manager) HandleSignal(ctx context.Context, peer string, blob []byte) error {
	s, err := UnmarshalSignal(blob)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	c := m.calls[s.Call]
	if c == nil {
		if ended := m.ended.get(s.Call); ended != nil && ended.peer != peer {
			m.mu.Unlock()
			return fmt.Errorf("%v signal for call %v from another peer: %w", s.Kind, s.Call, ErrUnknownCall)
		}
		m.handleUnknownLocked(ctx, peer, s) // unlocks
		return nil
	}
	m.mu.Unlock()
	if c.peer != peer {
		return fmt.Errorf("%v signal for call %v from another peer: %w", s.Kind, s.Call, ErrUnknownCall)
	}
	c.ex.post(func() { c.onSignal(s) })
	return nil
}

// handleUnknownLocked handles a signal for a call that is not in progress:
// a new incoming offer (maybe glare, maybe busy), a candidate that overtook
// its offer, or something late. It is called with m.mu held and releases it.
func (m *Manager) handleUnknownLocked(ctx context.Context, peer string, s *Signal) {
	if m.ended.has(s.Call) {
		m.mu.Unlock()
		return
	}
	switch s.Kind {
	case KindCandidate:
		if len(m.early) < maxEarlyCalls && len(m.early[s.Call]) < maxEarlyCandidates {
			m.early[s.Call] = append(m.early[s.Call], s)
		}
		m.mu.Unlock()
		return
	case KindHangup:
		// The caller gave up before its offer reached us.
		m.ended.add(s.Call, nil)
		m.mu.Unlock()
		return
	case KindOffer:
	default:
		m.mu.Unlock()
		return
	}

	active := m.activeLocked()
	if active != nil && active.peer == peer && !active.incoming && active.snapshot().State <= StateRinging && active.id.less(s.Call) {
		// Glare, and our call has the lower id: it stands. The peer drops
		// its own call and answers ours.
		m.ended.add(s.Call, nil)
		m.mu.Unlock()
		return
	}
	c := newCall(m, s.Call, peer, true, StateRinging)
	c.offer = s
	for _, e := range m.early[s.Call] {
		c.pending = append(c.pending, e.Cand)
	}
	delete(m.early, s.Call)

	if active != nil && (active.peer != peer || active.incoming || active.snapshot().State > StateRinging) {
		// Busy: tell the caller and record the call we could not take.
		m.ended.add(s.Call, c)
		m.mu.Unlock()
		c.ex.post(func() {
			c.send(Signal{Kind: KindBusy}, false, 0)
			c.move(trigEnd)
			c.setInfo(func(i *CallInfo) { i.Reason = ReasonBusy })
			c.emit()
		})
		return
	}
	m.calls[c.id] = c
	m.mu.Unlock()

	if active != nil {
		// Glare, and the peer's call has the lower id: ours gives way and
		// we answer theirs with the media we asked for.
		video := false
		_ = active.ex.do(func() error {
			video = active.localVideo
			active.end(ReasonMerged, nil, false)
			return nil
		})
		c.ex.post(func() {
			c.send(Signal{Kind: KindRinging}, false, 0)
			c.emit()
			if err := c.accept(ctx, video); err != nil {
				c.end(reasonFor(err), err, true)
			}
		})
		return
	}
	c.ex.post(func() {
		c.send(Signal{Kind: KindRinging}, false, 0)
		c.startRingTimer()
		c.emit()
	})
}

// onSignal handles a signal for a call in progress.
func (c *call) onSignal(s *Signal) {
	if c.state == StateEnded {
		return
	}
	switch s.Kind {
	case KindRinging:
		if !c.incoming && c.move(trigRemoteRinging) {
			c.emit()
		}
	case KindAnswer:
		c.onAnswer(s)
	case KindCandidate:
		c.onCandidate(s.Cand)
	case KindHangup:
		if c.pc != nil && !c.everConnected {
			// The peer's side may have noticed our refusal of its
			// certificate first; our own finding says more.
			if err := c.dtlsFailure(); errors.Is(err, ErrFingerprintMismatch) {
				c.end(ReasonFailed, err, false)
				return
			}
		}
		c.end(s.Reason.remote(c.incoming && c.state == StateRinging), remoteErr(s.Reason), false)
	case KindBusy:
		if !c.incoming && c.state <= StateRinging {
			c.end(ReasonBusy, nil, false)
		}
	case KindDecline:
		if !c.incoming && c.state <= StateRinging {
			c.end(ReasonDeclinedRemote, nil, false)
		}
	case KindRenegotiate, KindICERestart:
		c.onUpdateOffer(s)
	case KindUpdateAnswer:
		c.onUpdateAnswer(s)
	case KindRenegotiateAsk, KindICERestartAsk:
		c.onUpdateAsk(s.Kind == KindICERestartAsk)
	}
}

// remoteErr describes a failure the peer reported.
func remoteErr(r EndReason) error {
	if r == ReasonFailed {
		return errors.New("the peer's side of the call failed")
	}
	return nil
}

func isNoPath(err error) bool { return errors.Is(err, ErrNoNetworkPath) }
