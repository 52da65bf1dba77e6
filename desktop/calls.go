package desktop

import (
	"sync"

	"github.com/sotto-im/sotto/app"
)

// CallAnswerer is what an incoming-call notification's buttons do
// (app.Calls).
type CallAnswerer interface {
	Accept(id string, video bool) error
	Decline(id string) error
}

// callRings holds the withdraw functions of ringing notifications by call
// id.
type callRings struct {
	mu   sync.Mutex
	ring map[string]func()
}

// CallChanged turns a call's changes into notifications: an incoming call
// rings (Accept answers with the microphone only — the camera stays off
// until the person turns it on in the window; Decline declines); the ring is
// withdrawn as soon as the call moves on, however it was answered; an
// incoming call that ends unanswered leaves a missed-call notification.
func (c *Controller) CallChanged(v app.CallView, answer CallAnswerer) {
	c.rings.mu.Lock()
	withdraw, ringing := c.rings.ring[v.ID]
	if ringing && v.State != "incoming" {
		delete(c.rings.ring, v.ID)
	}
	c.rings.mu.Unlock()
	switch {
	case v.State == "incoming" && !ringing:
		id := v.ID
		w := c.Ring(IncomingCall{Handle: v.Handle, Video: v.RemoteVideo,
			Accept: func() {
				if err := answer.Accept(id, false); err != nil {
					c.log.Warn("accept from the notification", "err", err.Error())
				}
			},
			Decline: func() {
				if err := answer.Decline(id); err != nil {
					c.log.Warn("decline from the notification", "err", err.Error())
				}
			}})
		c.rings.mu.Lock()
		if c.rings.ring == nil {
			c.rings.ring = map[string]func(){}
		}
		c.rings.ring[id] = w
		c.rings.mu.Unlock()
	case ringing && v.State != "incoming":
		withdraw()
		if v.State == "ended" && v.EndReason == "missed" && !v.Outgoing {
			c.MissedCall(v.Handle, v.RemoteVideo)
		}
	}
}
