package calls

import "fmt"

// State is where a call is in its life. The zero value is StateUnknown and no
// call is ever in it.
//
//	outgoing: calling → ringing → connecting → connected ⇄ reconnecting → ended
//	incoming:           ringing → connecting → connected ⇄ reconnecting → ended
//
// Any state but ended may go to ended.
type State uint8

// The call states.
const (
	StateUnknown      State = iota
	StateCalling            // offer sent, the peer's device has not rung yet
	StateRinging            // outgoing: the peer's device rings; incoming: ours rings
	StateConnecting         // answered; ICE and DTLS are being set up
	StateConnected          // media flows
	StateReconnecting       // the connection dropped; ICE is being restarted
	StateEnded              // over; see EndReason
)

var stateNames = [...]string{"unknown", "calling", "ringing", "connecting", "connected", "reconnecting", "ended"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// ParseState parses the names String returns.
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if n == s && i != 0 {
			return State(i), nil
		}
	}
	return StateUnknown, fmt.Errorf("unknown call state %q", s)
}

// trigger is what moves a call from one state to the next.
type trigger uint8

const (
	trigRemoteRinging trigger = iota + 1 // the callee's device reports ringing
	trigAnswered                         // we accepted, or the callee's answer arrived
	trigConnected                        // ICE+DTLS up (first time or after a restart)
	trigLost                             // ICE disconnected or failed after connecting
	trigEnd                              // hang-up, decline, timeout, failure
)

var triggerNames = [...]string{"", "remote-ringing", "answered", "connected", "lost", "end"}

func (t trigger) String() string {
	if int(t) < len(triggerNames) && t != 0 {
		return triggerNames[t]
	}
	return fmt.Sprintf("trigger(%d)", uint8(t))
}

// next is the one transition function of the call state machine. It returns
// ErrWrongState (wrapped) for an edge that does not exist; callers treat that
// as a stale or duplicated event and ignore it.
func next(s State, t trigger) (State, error) {
	switch {
	case s == StateEnded || s == StateUnknown:
	case t == trigEnd:
		return StateEnded, nil
	case t == trigRemoteRinging && s == StateCalling:
		return StateRinging, nil
	case t == trigAnswered && (s == StateCalling || s == StateRinging):
		return StateConnecting, nil
	case t == trigConnected && (s == StateConnecting || s == StateReconnecting):
		return StateConnected, nil
	case t == trigLost && s == StateConnected:
		return StateReconnecting, nil
	}
	return s, fmt.Errorf("%v on %v: %w", t, s, ErrWrongState)
}
