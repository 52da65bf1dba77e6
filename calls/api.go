package calls

import (
	"context"
	"fmt"
)

// Call starts an outgoing call to peer (the app's name for the contact's
// device set; calls treats it as opaque). If that peer is calling us right
// now, Call accepts their call instead and returns its id. It fails with
// ErrBusy when another call is in progress.
func (m *Manager) Call(ctx context.Context, peer string, video bool) (CallID, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return CallID{}, ErrClosed
	}
	if a := m.activeLocked(); a != nil {
		m.mu.Unlock()
		if a.peer == peer && a.incoming {
			if err := m.Accept(ctx, a.id, video); err != nil {
				return CallID{}, err
			}
			return a.id, nil
		}
		return CallID{}, ErrBusy
	}
	c := newCall(m, NewCallID(), peer, false, StateCalling)
	m.calls[c.id] = c
	m.mu.Unlock()

	err := c.ex.do(func() error {
		c.emit()
		if err := c.startOutgoing(ctx, video); err != nil {
			c.end(reasonFor(err), err, false)
			return err
		}
		return nil
	})
	if err != nil {
		return CallID{}, fmt.Errorf("call: %w", err)
	}
	return c.id, nil
}

// Accept answers the incoming call id, sending video if video is set.
func (m *Manager) Accept(ctx context.Context, id CallID, video bool) error {
	c, err := m.lookup(id)
	if err != nil {
		return err
	}
	return c.ex.do(func() error {
		if err := c.accept(ctx, video); err != nil {
			if c.state != StateRinging {
				return err // not ringing: nothing to end
			}
			c.end(reasonFor(err), err, true)
			return fmt.Errorf("accept: %w", err)
		}
		return nil
	})
}

// Decline refuses the incoming call id; the caller sees "declined".
func (m *Manager) Decline(id CallID) error {
	c, err := m.lookup(id)
	if err != nil {
		return err
	}
	return c.ex.do(func() error {
		if !c.incoming || c.state != StateRinging {
			return fmt.Errorf("decline call in state %v: %w", c.state, ErrWrongState)
		}
		c.send(Signal{Kind: KindDecline}, false, 0)
		c.end(ReasonDeclinedLocal, nil, false)
		return nil
	})
}

// Hangup ends call id from any state (an outgoing call that still rings is
// cancelled; the callee sees it as missed).
func (m *Manager) Hangup(id CallID) error {
	c, err := m.lookup(id)
	if err != nil {
		return err
	}
	return c.ex.do(func() error {
		if c.incoming && c.state == StateRinging {
			c.send(Signal{Kind: KindDecline}, false, 0)
			c.end(ReasonDeclinedLocal, nil, false)
			return nil
		}
		c.end(ReasonHungUpLocal, nil, true)
		return nil
	})
}

// SetMuted mutes or unmutes our microphone (the sender keeps sending
// comfort silence so the peer's jitter buffer does not starve).
func (m *Manager) SetMuted(id CallID, muted bool) error {
	c, err := m.lookup(id)
	if err != nil {
		return err
	}
	return c.ex.do(func() error {
		c.muted = muted
		c.setInfo(func(i *CallInfo) { i.Muted = muted })
		if c.media != nil {
			c.media.setMuted(muted)
		}
		return nil
	})
}

// SetCamera turns our camera on or off during a call; it renegotiates
// (adds or removes the video track).
func (m *Manager) SetCamera(id CallID, on bool) error {
	c, err := m.lookup(id)
	if err != nil {
		return err
	}
	return c.ex.do(func() error {
		if c.pc == nil || (c.state != StateConnecting && c.state != StateConnected && c.state != StateReconnecting) {
			return fmt.Errorf("camera in state %v: %w", c.state, ErrWrongState)
		}
		if on == c.localVideo {
			return nil
		}
		if err := c.media.setCamera(on); err != nil {
			return fmt.Errorf("camera: %w", err)
		}
		c.localVideo = on
		c.setInfo(func(i *CallInfo) { i.LocalVideo = on })
		c.sendUpdate(false)
		return nil
	})
}

// SwitchDevices reopens the call's sources and sinks from Config.Media (the
// app calls it after the user picks another microphone, camera or speaker).
func (m *Manager) SwitchDevices(id CallID) error {
	c, err := m.lookup(id)
	if err != nil {
		return err
	}
	return c.ex.do(func() error {
		if c.media == nil {
			return fmt.Errorf("switch devices in state %v: %w", c.state, ErrWrongState)
		}
		return c.media.reopen()
	})
}

// RestartICE restarts ICE on call id now (the app calls it when the
// network changes; the Manager also does it by itself when the connection
// drops).
func (m *Manager) RestartICE(id CallID) error {
	c, err := m.lookup(id)
	if err != nil {
		return err
	}
	return c.ex.do(func() error {
		if c.pc == nil || (c.state != StateConnected && c.state != StateReconnecting) {
			return fmt.Errorf("restart ice in state %v: %w", c.state, ErrWrongState)
		}
		c.restartICE()
		return nil
	})
}

// reasonFor picks the end reason for an error from setting a call up.
func reasonFor(err error) EndReason {
	if isNoPath(err) {
		return ReasonNoNetworkPath
	}
	return ReasonFailed
}
