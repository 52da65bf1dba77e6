package ratchet

import "strconv"

// State names where a session is in its life. The transitions are
// Encrypt (never changes the state) and Decrypt (moves a responder from
// StateAwaitingFirst, and an initiator from StateAwaitingReply, to
// StateEstablished).
type State uint8

// Session states. The zero value is StateUnknown (a zero Session).
const (
	StateUnknown       State = iota
	StateAwaitingReply       // initiator: can send, has received nothing yet
	StateAwaitingFirst       // responder: must receive before it can send
	StateEstablished         // both chains exist
)

var stateNames = [...]string{"unknown", "awaiting-reply", "awaiting-first", "established"}

// String returns the state's name.
func (st State) String() string {
	if int(st) < len(stateNames) {
		return stateNames[st]
	}
	return "state(" + strconv.Itoa(int(st)) + ")"
}

// State reports the session's state.
func (s *Session) State() State {
	switch {
	case s.dhs == nil:
		return StateUnknown
	case s.hasCKs && s.hasCKr:
		return StateEstablished
	case s.hasCKs:
		return StateAwaitingReply
	default:
		return StateAwaitingFirst
	}
}
