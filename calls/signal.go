package calls

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Kind is the kind of a call signal. The zero value is KindUnknown and is
// never sent.
type Kind uint8

// The signal kinds. Values are part of the format and never reused.
const (
	KindUnknown        Kind = iota
	KindOffer               // caller → callee: the call itself, with its SDP offer
	KindAnswer              // callee → caller: accepted, with the SDP answer
	KindCandidate           // either way: one trickled ICE candidate
	KindRinging             // callee → caller: a device is ringing
	KindHangup              // either way: the call is over (Reason says why)
	KindBusy                // callee → caller: already in another call
	KindDecline             // callee → caller: declined
	KindRenegotiate         // caller → callee, after the answer: a new offer (camera on or off)
	KindICERestart          // caller → callee: a new offer with fresh ICE credentials
	KindUpdateAnswer        // callee → caller: the answer to KindRenegotiate or KindICERestart
	KindRenegotiateAsk      // callee → caller: please send KindRenegotiate (the callee's camera changed)
	KindICERestartAsk       // callee → caller: please send KindICERestart (the callee lost the connection)
	kindCount
)

var kindNames = [...]string{"unknown", "offer", "answer", "candidate", "ringing", "hangup", "busy", "decline",
	"renegotiate", "ice-restart", "update-answer", "renegotiate-ask", "ice-restart-ask"}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// carriesSDP reports whether signals of kind k carry Seq, Video and SDP.
func (k Kind) carriesSDP() bool {
	switch k {
	case KindOffer, KindAnswer, KindRenegotiate, KindICERestart, KindUpdateAnswer:
		return true
	}
	return false
}

// Format limits. The whole blob fits in app/content's MaxCall (32 KiB).
const (
	signalVersion   = 1
	MaxSignalSize   = 32 << 10
	MaxSDPSize      = 30 << 10
	MaxCandidate    = 1024
	MaxCandidateMid = 64
	MaxUfrag        = 256
	flagVideo       = 1 << 0
)

// Candidate is one trickled ICE candidate (the a=candidate value without the
// "a=" prefix), the media section it belongs to and the ICE username fragment
// of the generation it was gathered in, so stale candidates from before an
// ICE restart can be told apart.
type Candidate struct {
	Candidate string
	Mid       string
	Ufrag     string
}

// Signal is one call signaling message. It is marshalled by Marshal into an
// opaque blob that the app sends inside the end-to-end encrypted channel.
//
// Layout (integers big-endian, strings with a 4-byte length prefix):
//
//	version(1)=1 kind(1) call-id(16)
//	offer, answer, renegotiate, ice-restart, update-answer: seq(4) flags(1) sdp
//	candidate: candidate mid ufrag
//	hangup: reason(1)
//	ringing, busy, decline, renegotiate-ask, ice-restart-ask: nothing
//
// Only the caller makes offers (the first and every later one), so the two
// sides never offer at once; the callee asks for one when it needs it.
type Signal struct {
	Kind   Kind
	Call   CallID
	Seq    uint32 // SDP kinds: offer/answer generation; answers echo their offer's
	Video  bool   // SDP kinds: the sender sends video
	SDP    string
	Cand   Candidate // KindCandidate
	Reason EndReason // KindHangup, from the sender's point of view
}

// Marshal encodes s. It fails on values Unmarshal would refuse, so nothing
// this side sends is rejected by the other.
func (s *Signal) Marshal() ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("marshal %v signal: %w", s.Kind, err)
	}
	b := make([]byte, 0, 18+len(s.SDP)+len(s.Cand.Candidate)+len(s.Cand.Mid)+len(s.Cand.Ufrag)+17)
	b = append(b, signalVersion, byte(s.Kind))
	b = append(b, s.Call[:]...)
	switch {
	case s.Kind.carriesSDP():
		b = binary.BigEndian.AppendUint32(b, s.Seq)
		var flags byte
		if s.Video {
			flags |= flagVideo
		}
		b = append(b, flags)
		b = appendString(b, s.SDP)
	case s.Kind == KindCandidate:
		b = appendString(b, s.Cand.Candidate)
		b = appendString(b, s.Cand.Mid)
		b = appendString(b, s.Cand.Ufrag)
	case s.Kind == KindHangup:
		b = append(b, byte(s.Reason))
	}
	if len(b) > MaxSignalSize {
		return nil, fmt.Errorf("marshal %v signal: %d bytes: %w", s.Kind, len(b), errTooLarge)
	}
	return b, nil
}

var (
	errTooLarge  = errors.New("too large")
	errTruncated = errors.New("truncated")
	errInvalid   = errors.New("invalid value")
)

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// UnmarshalSignal decodes a blob from the peer. It refuses an unknown
// version or kind, truncated input, oversize fields, fields a kind does not
// carry, invalid UTF-8 and trailing bytes; every error wraps ErrBadSignal.
func UnmarshalSignal(b []byte) (*Signal, error) {
	s, err := unmarshalSignal(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignal, err)
	}
	return s, nil
}

func unmarshalSignal(b []byte) (*Signal, error) {
	if len(b) > MaxSignalSize {
		return nil, fmt.Errorf("%d bytes: %w", len(b), errTooLarge)
	}
	r := reader{b: b}
	if v := r.byte("version"); r.err == nil && v != signalVersion {
		return nil, fmt.Errorf("version %d: %w", v, errInvalid)
	}
	s := &Signal{Kind: Kind(r.byte("kind"))}
	copy(s.Call[:], r.take("call id", len(s.Call)))
	if r.err != nil {
		return nil, r.err
	}
	switch {
	case s.Kind.carriesSDP():
		s.Seq = r.uint32("seq")
		flags := r.byte("flags")
		if r.err == nil && flags&^flagVideo != 0 {
			return nil, fmt.Errorf("flags %#x: %w", flags, errInvalid)
		}
		s.Video = flags&flagVideo != 0
		s.SDP = r.string("sdp", MaxSDPSize)
	case s.Kind == KindCandidate:
		s.Cand.Candidate = r.string("candidate", MaxCandidate)
		s.Cand.Mid = r.string("mid", MaxCandidateMid)
		s.Cand.Ufrag = r.string("ufrag", MaxUfrag)
	case s.Kind == KindHangup:
		s.Reason = EndReason(r.byte("reason"))
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != r.off {
		return nil, fmt.Errorf("%d bytes after the last field: %w", len(r.b)-r.off, errInvalid)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// validate checks the rules both Marshal and Unmarshal enforce.
func (s *Signal) validate() error {
	if s.Kind == KindUnknown || s.Kind >= kindCount {
		return fmt.Errorf("kind %v: %w", s.Kind, errInvalid)
	}
	if s.Call.IsZero() {
		return fmt.Errorf("zero call id: %w", errInvalid)
	}
	if !s.Kind.carriesSDP() && (s.Seq != 0 || s.Video || s.SDP != "") {
		return fmt.Errorf("%v carries no SDP: %w", s.Kind, errInvalid)
	}
	if s.Kind != KindCandidate && s.Cand != (Candidate{}) {
		return fmt.Errorf("%v carries no candidate: %w", s.Kind, errInvalid)
	}
	if s.Kind != KindHangup && s.Reason != ReasonNone {
		return fmt.Errorf("%v carries no reason: %w", s.Kind, errInvalid)
	}
	switch {
	case s.Kind.carriesSDP():
		if s.SDP == "" || len(s.SDP) > MaxSDPSize || !utf8.ValidString(s.SDP) {
			return fmt.Errorf("sdp of %d bytes: %w", len(s.SDP), errInvalid)
		}
	case s.Kind == KindCandidate:
		c := s.Cand
		if c.Candidate == "" || len(c.Candidate) > MaxCandidate || len(c.Mid) > MaxCandidateMid || len(c.Ufrag) > MaxUfrag ||
			!utf8.ValidString(c.Candidate) || !utf8.ValidString(c.Mid) || !utf8.ValidString(c.Ufrag) {
			return fmt.Errorf("candidate: %w", errInvalid)
		}
	case s.Kind == KindHangup:
		if s.Reason == ReasonNone || s.Reason >= reasonCount {
			return fmt.Errorf("hangup reason %d: %w", uint8(s.Reason), errInvalid)
		}
	}
	return nil
}

// reader reads fields with a sticky error, never allocating more than the
// input holds.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.err = fmt.Errorf("%s: %w", field, errTruncated)
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *reader) byte(field string) byte {
	if v := r.take(field, 1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uint32(field string) uint32 {
	if v := r.take(field, 4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) string(field string, max int) string {
	n := r.uint32(field)
	if r.err != nil {
		return ""
	}
	if uint64(n) > uint64(max) {
		r.err = fmt.Errorf("%s: %d > %d bytes: %w", field, n, max, errTooLarge)
		return ""
	}
	return string(r.take(field, int(n)))
}
