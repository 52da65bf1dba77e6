package calls

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func sampleSignals() []Signal {
	id := CallID{1, 2, 3}
	return []Signal{
		{Kind: KindOffer, Call: id, Seq: 1, Video: true, SDP: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"},
		{Kind: KindAnswer, Call: id, Seq: 1, SDP: "v=0\r\n"},
		{Kind: KindCandidate, Call: id, Cand: Candidate{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", Mid: "0", Ufrag: "abcd"}},
		{Kind: KindRinging, Call: id},
		{Kind: KindHangup, Call: id, Reason: ReasonFailed},
		{Kind: KindBusy, Call: id},
		{Kind: KindDecline, Call: id},
		{Kind: KindRenegotiate, Call: id, Seq: 2, SDP: "v=0\r\n"},
		{Kind: KindICERestart, Call: id, Seq: 3, SDP: "v=0\r\n"},
		{Kind: KindUpdateAnswer, Call: id, Seq: 3, Video: true, SDP: "v=0\r\n"},
		{Kind: KindRenegotiateAsk, Call: id},
		{Kind: KindICERestartAsk, Call: id},
	}
}

func TestSignalRoundTrip(t *testing.T) {
	for _, s := range sampleSignals() {
		b, err := s.Marshal()
		if err != nil {
			t.Fatalf("%v: %v", s.Kind, err)
		}
		got, err := UnmarshalSignal(b)
		if err != nil {
			t.Fatalf("%v: %v", s.Kind, err)
		}
		if *got != s {
			t.Fatalf("%v: got %+v, want %+v", s.Kind, *got, s)
		}
		// Every strict prefix is refused, and so is a trailing byte.
		for i := range b {
			if _, err := UnmarshalSignal(b[:i]); !errors.Is(err, ErrBadSignal) {
				t.Fatalf("%v: prefix of %d bytes accepted (%v)", s.Kind, i, err)
			}
		}
		if _, err := UnmarshalSignal(append(bytes.Clone(b), 0)); !errors.Is(err, ErrBadSignal) {
			t.Fatalf("%v: trailing byte accepted", s.Kind)
		}
	}
}

func TestSignalRefuses(t *testing.T) {
	id := CallID{9}
	good, _ := (&Signal{Kind: KindRinging, Call: id}).Marshal()
	big := strings.Repeat("a", MaxSDPSize+1)
	cases := []struct {
		name string
		s    Signal
	}{
		{"unknown kind", Signal{Kind: KindUnknown, Call: id}},
		{"kind past the end", Signal{Kind: kindCount, Call: id}},
		{"zero call id", Signal{Kind: KindRinging}},
		{"empty sdp", Signal{Kind: KindOffer, Call: id, Seq: 1}},
		{"oversize sdp", Signal{Kind: KindOffer, Call: id, SDP: big}},
		{"invalid utf-8 sdp", Signal{Kind: KindOffer, Call: id, SDP: "\xff"}},
		{"sdp on ringing", Signal{Kind: KindRinging, Call: id, SDP: "v=0"}},
		{"video on busy", Signal{Kind: KindBusy, Call: id, Video: true}},
		{"empty candidate", Signal{Kind: KindCandidate, Call: id}},
		{"candidate on answer", Signal{Kind: KindAnswer, Call: id, SDP: "v=0", Cand: Candidate{Candidate: "x"}}},
		{"hangup without reason", Signal{Kind: KindHangup, Call: id}},
		{"hangup with unknown reason", Signal{Kind: KindHangup, Call: id, Reason: reasonCount}},
		{"reason on decline", Signal{Kind: KindDecline, Call: id, Reason: ReasonBusy}},
	}
	for _, c := range cases {
		if _, err := c.s.Marshal(); err == nil {
			t.Errorf("%s: marshalled", c.name)
		}
	}
	raw := map[string][]byte{
		"empty":            nil,
		"version 2":        append([]byte{2}, good[1:]...),
		"flags bit 1":      {1, byte(KindAnswer), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 'v'},
		"length past end":  {1, byte(KindOffer), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff},
		"oversize blob":    make([]byte, MaxSignalSize+1),
		"hangup reason 0":  {1, byte(KindHangup), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"unknown kind 200": {1, 200, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, b := range raw {
		if _, err := UnmarshalSignal(b); !errors.Is(err, ErrBadSignal) {
			t.Errorf("%s: %v, want ErrBadSignal", name, err)
		}
	}
}

func FuzzUnmarshalSignal(f *testing.F) {
	for _, s := range sampleSignals() {
		b, _ := s.Marshal()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, byte(KindOffer)})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := UnmarshalSignal(b)
		if err != nil {
			if !errors.Is(err, ErrBadSignal) {
				t.Fatalf("error %v does not wrap ErrBadSignal", err)
			}
			return
		}
		again, err := s.Marshal()
		if err != nil {
			t.Fatalf("decoded signal does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs: %x vs %x", again, b)
		}
	})
}

func TestCallID(t *testing.T) {
	a, b := NewCallID(), NewCallID()
	if a == b || a.IsZero() {
		t.Fatal("ids not random")
	}
	p, err := ParseCallID(a.String())
	if err != nil || p != a {
		t.Fatalf("parse %v: %v %v", a, p, err)
	}
	for _, s := range []string{"", "00", strings.Repeat("0", 32), strings.Repeat("g", 32)} {
		if _, err := ParseCallID(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
	if a.less(b) == b.less(a) {
		t.Fatal("less is not a strict order")
	}
}
