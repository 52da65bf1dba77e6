package calls

import "time"

// Event reports a change of one call's state. Events of one call arrive in
// order; the last one has State StateEnded.
type Event struct {
	Call     CallID
	Peer     string
	Incoming bool
	State    State
	Reason   EndReason // StateEnded only
	Err      error     // ReasonFailed (and others with a cause): what went wrong, for people
	// Video: for an incoming call in StateRinging, whether the caller
	// offers video; later, whether the peer currently sends video.
	Video bool
}

// CallInfo is a snapshot of one call.
type CallInfo struct {
	ID          CallID
	Peer        string
	Incoming    bool
	State       State
	Reason      EndReason
	Err         error
	LocalVideo  bool // our camera is on
	RemoteVideo bool // the peer sends video
	Muted       bool
	Started     time.Time // created (offer sent or received)
	Connected   time.Time // first connected; zero if never
	Ended       time.Time
}
