package calls

import "fmt"

// EndReason says why a call ended. The zero value, ReasonNone, belongs to
// calls that have not ended. Values travel in hang-up signals and are never
// reused.
type EndReason uint8

// The end reasons.
const (
	ReasonNone           EndReason = iota
	ReasonHungUpLocal              // we hung up
	ReasonHungUpRemote             // the peer hung up
	ReasonDeclinedLocal            // we declined the incoming call
	ReasonDeclinedRemote           // the peer declined
	ReasonBusy                     // the peer is in another call
	ReasonMissed                   // nobody answered within the ring timeout (or the caller gave up first)
	ReasonUnreachable              // the offer could not be delivered, or no device rang
	ReasonNoNetworkPath            // ICE found no working path (firewall, relay-only without TURN)
	ReasonConnectionLost           // connected once, dropped and did not recover
	ReasonFailed                   // an error; CallInfo.Err and Event.Err say which
	ReasonMerged                   // glare: this outgoing call gave way to the peer's call to us
	reasonCount
)

var reasonNames = [...]string{"", "hung up", "hung up by peer", "declined", "declined by peer", "busy",
	"missed", "unreachable", "no network path", "connection lost", "failed", "merged"}

func (r EndReason) String() string {
	if r < reasonCount {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// remote converts the reason a peer gives in its hang-up into how the call
// ended for us. ringing says whether our side had not yet answered.
func (r EndReason) remote(ringing bool) EndReason {
	switch r {
	case ReasonHungUpLocal:
		if ringing {
			return ReasonMissed
		}
		return ReasonHungUpRemote
	case ReasonDeclinedLocal:
		return ReasonDeclinedRemote
	case ReasonMissed, ReasonNoNetworkPath, ReasonConnectionLost, ReasonFailed, ReasonUnreachable:
		return r
	default:
		return ReasonHungUpRemote
	}
}
