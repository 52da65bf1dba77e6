package calls

import (
	"errors"
	"testing"
)

// TestStateMachine walks every (state, trigger) edge.
func TestStateMachine(t *testing.T) {
	type edge struct {
		from State
		on   trigger
	}
	allowed := map[edge]State{
		{StateCalling, trigRemoteRinging}:  StateRinging,
		{StateCalling, trigAnswered}:       StateConnecting,
		{StateRinging, trigAnswered}:       StateConnecting,
		{StateConnecting, trigConnected}:   StateConnected,
		{StateConnected, trigLost}:         StateReconnecting,
		{StateReconnecting, trigConnected}: StateConnected,
		{StateCalling, trigEnd}:            StateEnded,
		{StateRinging, trigEnd}:            StateEnded,
		{StateConnecting, trigEnd}:         StateEnded,
		{StateConnected, trigEnd}:          StateEnded,
		{StateReconnecting, trigEnd}:       StateEnded,
	}
	for s := StateUnknown; s <= StateEnded; s++ {
		for tr := trigRemoteRinging; tr <= trigEnd; tr++ {
			got, err := next(s, tr)
			want, ok := allowed[edge{s, tr}]
			switch {
			case ok && (err != nil || got != want):
				t.Errorf("%v on %v: got %v, %v; want %v", tr, s, got, err, want)
			case !ok && (!errors.Is(err, ErrWrongState) || got != s):
				t.Errorf("%v on %v: got %v, %v; want the state unchanged and ErrWrongState", tr, s, got, err)
			}
		}
	}
	for s := StateCalling; s <= StateEnded; s++ {
		if p, err := ParseState(s.String()); err != nil || p != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), p, err)
		}
	}
	if _, err := ParseState("unknown"); err == nil {
		t.Error("parsed the unknown state")
	}
}

func TestRemoteReason(t *testing.T) {
	cases := []struct {
		sent    EndReason
		ringing bool
		want    EndReason
	}{
		{ReasonHungUpLocal, false, ReasonHungUpRemote},
		{ReasonHungUpLocal, true, ReasonMissed},
		{ReasonMissed, true, ReasonMissed},
		{ReasonFailed, false, ReasonFailed},
		{ReasonConnectionLost, false, ReasonConnectionLost},
		{ReasonBusy, false, ReasonHungUpRemote},
	}
	for _, c := range cases {
		if got := c.sent.remote(c.ringing); got != c.want {
			t.Errorf("%v (ringing %v) → %v, want %v", c.sent, c.ringing, got, c.want)
		}
	}
}
