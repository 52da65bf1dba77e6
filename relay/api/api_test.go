package api

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/sotto-im/sotto/handle"
)

func TestFrameRoundTrip(t *testing.T) {
	id := NewEnvelopeID()
	sender := Addr{1, 2, 3}
	to := Addr{9}
	tok := bytes.Repeat([]byte{7}, DeliveryTokenSize)
	cases := []struct {
		name string
		b    []byte
		chk  func(Frame) bool
	}{
		{"envelope", AppendEnvelope(nil, 42, id, 1234, nil, []byte("body")), func(f Frame) bool {
			return f.Type == FrameEnvelope && f.Seq == 42 && f.ID == id && f.SentAtMillis == 1234 && f.Sender == nil && string(f.Body) == "body"
		}},
		{"envelope+sender", AppendEnvelope(nil, 1, id, -5, &sender, nil), func(f Frame) bool {
			return f.Sender != nil && *f.Sender == sender && len(f.Body) == 0 && f.SentAtMillis == -5
		}},
		{"send_result", AppendSendResult(nil, 7, 99, id), func(f Frame) bool {
			return f.Type == FrameSendResult && f.Req == 7 && f.Seq == 99 && f.ID == id
		}},
		{"error", AppendError(nil, 3, Errorf(CodeRateLimited, "slow down")), func(f Frame) bool {
			return f.Type == FrameError && f.Req == 3 && f.Err.Code == CodeRateLimited && f.Err.Status == 429
		}},
		{"ack", AppendAck(nil, 1<<40), func(f Frame) bool { return f.Type == FrameAck && f.Seq == 1<<40 }},
		{"send sealed", AppendSend(nil, 5, to, tok, []byte("x")), func(f Frame) bool {
			return f.Type == FrameSend && f.Req == 5 && f.Recipient == to && bytes.Equal(f.DeliveryToken, tok) && string(f.Body) == "x"
		}},
		{"send auth", AppendSend(nil, 6, to, nil, []byte("y")), func(f Frame) bool {
			return f.DeliveryToken == nil && string(f.Body) == "y"
		}},
	}
	for _, c := range cases {
		f, err := DecodeFrame(c.b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !c.chk(f) {
			t.Errorf("%s: decoded %+v", c.name, f)
		}
	}
}

func TestFrameGarbage(t *testing.T) {
	bad := [][]byte{
		nil, {1}, {2, 10, 0, 0, 0, 0, 0, 0, 0, 1}, {1, 99}, {1, 10, 0, 0}, append(AppendAck(nil, 1), 0),
		{1, 3, 0, 0, 0, 0, '{'}, {1, 3, 0, 0, 0, 0, '{', '}'},
		{1, 11, 0, 0, 0, 1}, append(AppendSend(nil, 1, Addr{}, nil, nil)[:22:22], 0x80),
		AppendSend(nil, 1, Addr{}, []byte{1, 2}, nil)[:25],
		append(AppendEnvelope(nil, 1, EnvelopeID{}, 0, nil, nil), make([]byte, MaxEnvelope+1)...),
	}
	for i, b := range bad {
		if _, err := DecodeFrame(b); !errors.Is(err, ErrFrame) {
			t.Errorf("case %d: got %v, want ErrFrame", i, err)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(AppendEnvelope(nil, 1, EnvelopeID{1}, 2, &Addr{3}, []byte("hi")))
	f.Add(AppendSend(nil, 1, Addr{2}, make([]byte, 32), []byte("b")))
	f.Add(AppendError(nil, 1, Errorf(CodeInternal, "x")))
	f.Add(AppendAck(nil, 5))
	f.Add(AppendSendResult(nil, 1, 2, EnvelopeID{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			return
		}
		// Re-encoding a decoded frame yields a frame that decodes the same.
		var re []byte
		switch fr.Type {
		case FrameEnvelope:
			re = AppendEnvelope(nil, fr.Seq, fr.ID, fr.SentAtMillis, fr.Sender, fr.Body)
		case FrameAck:
			re = AppendAck(nil, fr.Seq)
		case FrameSendResult:
			re = AppendSendResult(nil, fr.Req, fr.Seq, fr.ID)
		case FrameSend:
			re = AppendSend(nil, fr.Req, fr.Recipient, fr.DeliveryToken, fr.Body)
		default:
			return
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", re, b)
		}
	})
}

func TestDecodeJSON(t *testing.T) {
	var v AuthChallengeRequest
	if err := DecodeJSON(strings.NewReader(`{"device":"`+strings.Repeat("ab", 16)+`"}`), 100, &v); err != nil {
		t.Fatal(err)
	}
	for in, code := range map[string]Code{
		`{"device":"zz"}`: CodeBadRequest,
		`{"device":1}`:    CodeBadRequest,
		`{"other":1}`:     CodeBadRequest,
		`{} {}`:           CodeBadRequest,
		`{`:               CodeBadRequest,
		`{"device":"` + strings.Repeat("a", 200) + `"}`: CodeTooLarge,
	} {
		err := DecodeJSON(strings.NewReader(in), 100, &v)
		if !HasCode(err, code) {
			t.Errorf("%.30q: got %v, want %s", in, err, code)
		}
	}
}

func FuzzDecodeJSONRegister(f *testing.F) {
	f.Add(`{"handle":"alice","nonce":1,"challenge":"AAAA"}`)
	f.Add(`{"signed_prekey":{"id":1,"key":"AA=="}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var r RegisterRequest
		err := DecodeJSON(strings.NewReader(s), MaxJSONBody, &r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Fatalf("untyped error %v", err)
			}
		}
	})
}

func TestPow(t *testing.T) {
	p := PowParams{Bits: 4, MemoryKiB: 8, Time: 1}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	ch := []byte("challenge-challenge-challenge-32")
	h := handle.MustParse("alice").Hash()
	n, ok := SolvePow(p, ch, h, nil)
	if !ok || !PowOK(p, ch, h, n) {
		t.Fatal("no solution")
	}
	// A solution is bound to the handle and the challenge: with 4 bits the
	// chance that it also solves for another one is 1/16 each; try several.
	other := 0
	for _, s := range []string{"bob", "carol", "dave", "erin", "frank", "grace"} {
		if PowOK(p, ch, handle.MustParse(s).Hash(), n) {
			other++
		}
	}
	if other == 6 {
		t.Fatal("solution not bound to the handle")
	}
	for _, bad := range []PowParams{{Bits: -1, MemoryKiB: 8, Time: 1}, {Bits: 25, MemoryKiB: 8, Time: 1}, {Bits: 1, MemoryKiB: 1, Time: 1}, {Bits: 1, MemoryKiB: 8, Time: 0}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if leadingZeroBits([]byte{0, 0x10}) != 11 || leadingZeroBits([]byte{0xff}) != 0 || leadingZeroBits([]byte{0, 0}) != 16 {
		t.Fatal("leadingZeroBits")
	}
}

func TestDeviceID(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	id := AddrFromKey(pub)
	p, err := ParseAddr(id.String())
	if err != nil || p != id {
		t.Fatal("round trip")
	}
	if _, err := ParseAddr("xyz"); !errors.Is(err, ErrBadID) {
		t.Fatal("bad id accepted")
	}
	if !errors.Is(Errorf(CodeNotFound, "a"), &Error{Code: CodeNotFound}) || errors.Is(Errorf(CodeNotFound, "a"), &Error{Code: CodeInternal}) {
		t.Fatal("Error.Is")
	}
}

func TestBatch(t *testing.T) {
	frames := [][]byte{AppendAck(nil, 1), AppendSendResult(nil, 2, 3, EnvelopeID{4}), AppendAck(nil, 9)}
	b := AppendBatch(nil, frames)
	got, err := SplitBatch(b)
	if err != nil || len(got) != 3 {
		t.Fatalf("split: %d %v", len(got), err)
	}
	for i := range frames {
		if !bytes.Equal(got[i], frames[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if _, err := DecodeFrame(b); !errors.Is(err, ErrFrame) {
		t.Fatal("DecodeFrame accepted a batch")
	}
	for i, bad := range [][]byte{
		AppendBatch(nil, nil),
		AppendBatch(nil, [][]byte{AppendBatch(nil, frames)}),
		b[:len(b)-1],
		append(AppendBatch(nil, nil), 0xff, 0xff, 0xff, 0xff),
		AppendAck(nil, 1),
	} {
		if _, err := SplitBatch(bad); !errors.Is(err, ErrFrame) {
			t.Errorf("bad batch %d accepted", i)
		}
	}
}

func FuzzSplitBatch(f *testing.F) {
	f.Add(AppendBatch(nil, [][]byte{AppendAck(nil, 1), AppendSend(nil, 1, Addr{}, nil, []byte("x"))}))
	f.Add([]byte{1, 4, 0, 0, 0, 1, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		frames, err := SplitBatch(b)
		if err != nil {
			return
		}
		if !bytes.Equal(AppendBatch(nil, frames), b) {
			t.Fatal("batch does not re-encode to itself")
		}
		for _, fr := range frames {
			_, _ = DecodeFrame(fr)
		}
	})
}

func TestNextMessage(t *testing.T) {
	frame := func(n int) []byte { return AppendAck(make([]byte, 0, n), uint64(n)) }
	// A lone frame goes as it is.
	one := [][]byte{frame(1)}
	if msg, rest := NextMessage(one); !bytes.Equal(msg, one[0]) || len(rest) != 0 {
		t.Fatalf("lone frame: %x, %d left", msg, len(rest))
	}
	// More frames than a batch holds: the first message takes MaxBatchFrames,
	// and every frame comes back out of the batches in order.
	var q [][]byte
	for i := range MaxBatchFrames + 5 {
		q = append(q, frame(i))
	}
	var got [][]byte
	for msgs := 0; len(q) > 0; msgs++ {
		var msg []byte
		msg, q = NextMessage(q)
		if len(msg) > MaxMessage {
			t.Fatalf("message of %d bytes", len(msg))
		}
		if !IsBatch(msg) {
			got = append(got, msg)
			continue
		}
		frames, err := SplitBatch(msg)
		if err != nil {
			t.Fatal(err)
		}
		if msgs == 0 && len(frames) != MaxBatchFrames {
			t.Fatalf("first batch holds %d frames", len(frames))
		}
		got = append(got, frames...)
	}
	if len(got) != MaxBatchFrames+5 {
		t.Fatalf("%d frames out", len(got))
	}
	for i, f := range got {
		if !bytes.Equal(f, frame(i)) {
			t.Fatalf("frame %d changed or out of order", i)
		}
	}
	// Big frames split by size, not count.
	big := bytes.Repeat([]byte{1}, MaxFrame)
	if _, rest := NextMessage([][]byte{big, big, big, big, big}); len(rest) == 0 {
		t.Fatal("a batch over MaxMessage")
	}
}
