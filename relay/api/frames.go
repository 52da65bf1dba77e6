package api

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// FrameVersion is the first byte of every WebSocket frame. Frames are
// binary WebSocket messages: version, type, then the type's fields in
// big-endian order; the envelope body, when present, is the rest.
const FrameVersion = 1

// FrameType is the second byte of a frame.
type FrameType byte

// Frame types. Server → client: Envelope, SendResult, Error. Client →
// server: Ack, Send.
const (
	FrameUnknown    FrameType = 0
	FrameEnvelope   FrameType = 1  // seq u64, id [16], sent_at unix ms i64, flags u8, [sender [16]], body
	FrameSendResult FrameType = 2  // req u32, seq u64, id [16]
	FrameError      FrameType = 3  // req u32, JSON Error
	FrameBatch      FrameType = 4  // (len u32, frame)*: several frames in one message, either direction
	FrameAck        FrameType = 10 // seq u64: everything ≤ seq is acknowledged
	FrameSend       FrameType = 11 // req u32, recipient [16], flags u8, [delivery token [32]], body
)

func (t FrameType) String() string {
	switch t {
	case FrameEnvelope:
		return "envelope"
	case FrameSendResult:
		return "send_result"
	case FrameError:
		return "error"
	case FrameAck:
		return "ack"
	case FrameSend:
		return "send"
	case FrameBatch:
		return "batch"
	default:
		return fmt.Sprintf("unknown(%d)", byte(t))
	}
}

// Envelope flags.
const (
	// FlagSender: the envelope was sent by an authenticated device (first
	// contact) and carries the sender's device id.
	FlagSender byte = 1 << 0
	// FlagDeliveryToken: a Send frame carries a delivery token (sealed).
	FlagDeliveryToken byte = 1 << 1
)

// ErrFrame is wrapped by every frame decoding error.
var ErrFrame = errors.New("malformed frame")

// Frame is a decoded WebSocket frame; which fields are set depends on Type.
// Body aliases the decoded buffer.
type Frame struct {
	Type          FrameType
	Req           uint32
	Seq           uint64
	ID            EnvelopeID
	SentAtMillis  int64
	Sender        *Addr
	Recipient     Addr
	DeliveryToken []byte
	Body          []byte
	Err           *Error
}

// MaxFrame bounds a frame: the largest envelope plus headers.
const MaxFrame = MaxEnvelope + 128

// MaxMessage bounds one WebSocket message, a batch included.
const MaxMessage = 4 * MaxFrame

// MaxBatchFrames bounds the frames of one batch.
const MaxBatchFrames = 1024

// AppendBatch appends a Batch message holding frames (each a complete,
// non-batch frame) to b. Senders keep the result within MaxMessage.
func AppendBatch(b []byte, frames [][]byte) []byte {
	b = append(b, FrameVersion, byte(FrameBatch))
	for _, f := range frames {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// NextMessage takes frames off the front of q for one WebSocket message: a
// lone frame as it is, or as many frames as one Batch holds (at most
// MaxBatchFrames, within MaxMessage). It returns the message and the frames
// left. q must not be empty.
func NextMessage(q [][]byte) (msg []byte, rest [][]byte) {
	n, size := MessageFrames(q)
	if n <= 1 {
		return q[0], q[1:]
	}
	return AppendBatch(make([]byte, 0, size), q[:n]), q[n:]
}

// MessageFrames is how many frames off the front of q NextMessage puts in
// one message (1 for a lone frame), and that message's size when n > 1.
// Writers that stream a Batch instead of building it use it.
func MessageFrames(q [][]byte) (n, size int) {
	size = 2
	for n < len(q) && n < MaxBatchFrames && size+4+len(q[n]) <= MaxMessage {
		size += 4 + len(q[n])
		n++
	}
	return max(n, 1), size
}

// IsBatch reports whether a message is a Batch (its frames are read with
// SplitBatch, each then with DecodeFrame).
func IsBatch(b []byte) bool {
	return len(b) >= 2 && b[0] == FrameVersion && FrameType(b[1]) == FrameBatch
}

// SplitBatch returns the frames of a Batch message. The frames alias b.
func SplitBatch(b []byte) ([][]byte, error) {
	if !IsBatch(b) {
		return nil, fmt.Errorf("%w: not a batch", ErrFrame)
	}
	if len(b) > MaxMessage {
		return nil, fmt.Errorf("%w: batch over %d bytes", ErrFrame, MaxMessage)
	}
	r := &reader{b: b[2:]}
	var out [][]byte
	for len(r.b) > 0 {
		n := r.u32()
		f := r.take(int(min(n, uint32(MaxFrame+1))))
		if r.bad || n > MaxFrame {
			return nil, fmt.Errorf("%w: truncated or oversize frame in batch", ErrFrame)
		}
		if IsBatch(f) {
			return nil, fmt.Errorf("%w: nested batch", ErrFrame)
		}
		if len(out) == MaxBatchFrames {
			return nil, fmt.Errorf("%w: more than %d frames in a batch", ErrFrame, MaxBatchFrames)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty batch", ErrFrame)
	}
	return out, nil
}

// AppendEnvelope appends an Envelope frame to b.
func AppendEnvelope(b []byte, seq uint64, id EnvelopeID, sentAtMillis int64, sender *Addr, body []byte) []byte {
	b = append(b, FrameVersion, byte(FrameEnvelope))
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(sentAtMillis))
	if sender != nil {
		b = append(b, FlagSender)
		b = append(b, sender[:]...)
	} else {
		b = append(b, 0)
	}
	return append(b, body...)
}

// AppendSendResult appends a SendResult frame to b.
func AppendSendResult(b []byte, req uint32, seq uint64, id EnvelopeID) []byte {
	b = append(b, FrameVersion, byte(FrameSendResult))
	b = binary.BigEndian.AppendUint32(b, req)
	b = binary.BigEndian.AppendUint64(b, seq)
	return append(b, id[:]...)
}

// AppendError appends an Error frame to b.
func AppendError(b []byte, req uint32, e *Error) []byte {
	b = append(b, FrameVersion, byte(FrameError))
	b = binary.BigEndian.AppendUint32(b, req)
	j, _ := json.Marshal(e) // an Error always marshals
	return append(b, j...)
}

// AppendAck appends an Ack frame to b.
func AppendAck(b []byte, seq uint64) []byte {
	b = append(b, FrameVersion, byte(FrameAck))
	return binary.BigEndian.AppendUint64(b, seq)
}

// AppendSend appends a Send frame to b; token may be nil (authenticated
// first contact on an authenticated connection).
func AppendSend(b []byte, req uint32, to Addr, token []byte, body []byte) []byte {
	b = append(b, FrameVersion, byte(FrameSend))
	b = binary.BigEndian.AppendUint32(b, req)
	b = append(b, to[:]...)
	if token != nil {
		b = append(b, FlagDeliveryToken)
		b = append(b, token...)
	} else {
		b = append(b, 0)
	}
	return append(b, body...)
}

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// DecodeFrame decodes one binary WebSocket message. It never panics; any
// malformed input returns an error wrapping ErrFrame.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) > MaxFrame {
		return Frame{}, fmt.Errorf("%w: %d bytes over the %d limit", ErrFrame, len(b), MaxFrame)
	}
	r := &reader{b: b}
	if v := r.u8(); !r.bad && v != FrameVersion {
		return Frame{}, fmt.Errorf("%w: unknown version %d", ErrFrame, v)
	}
	f := Frame{Type: FrameType(r.u8())}
	if r.bad {
		return Frame{}, fmt.Errorf("%w: truncated header", ErrFrame)
	}
	exact := true
	switch f.Type {
	case FrameEnvelope:
		f.Seq = r.u64()
		copy(f.ID[:], r.take(16))
		f.SentAtMillis = int64(r.u64())
		flags := r.u8()
		if flags&^FlagSender != 0 {
			return Frame{}, fmt.Errorf("%w: unknown envelope flags %#x", ErrFrame, flags)
		}
		if flags&FlagSender != 0 {
			var s Addr
			copy(s[:], r.take(16))
			f.Sender = &s
		}
		f.Body = r.b
		exact = false
	case FrameSendResult:
		f.Req = r.u32()
		f.Seq = r.u64()
		copy(f.ID[:], r.take(16))
	case FrameError:
		f.Req = r.u32()
		if r.bad {
			break
		}
		var e Error
		if err := json.Unmarshal(r.b, &e); err != nil || e.Code == "" {
			return Frame{}, fmt.Errorf("%w: bad error body", ErrFrame)
		}
		e.Status = StatusOf(e.Code)
		f.Err = &e
		exact = false
	case FrameAck:
		f.Seq = r.u64()
	case FrameSend:
		f.Req = r.u32()
		copy(f.Recipient[:], r.take(16))
		flags := r.u8()
		if flags&^FlagDeliveryToken != 0 {
			return Frame{}, fmt.Errorf("%w: unknown send flags %#x", ErrFrame, flags)
		}
		if flags&FlagDeliveryToken != 0 {
			f.DeliveryToken = r.take(DeliveryTokenSize)
		}
		f.Body = r.b
		exact = false
	default:
		return Frame{}, fmt.Errorf("%w: unknown type %d", ErrFrame, byte(f.Type))
	}
	if r.bad {
		return Frame{}, fmt.Errorf("%w: truncated %s frame", ErrFrame, f.Type)
	}
	if exact && len(r.b) != 0 {
		return Frame{}, fmt.Errorf("%w: %d trailing bytes in %s frame", ErrFrame, len(r.b), f.Type)
	}
	if len(f.Body) > MaxEnvelope {
		return Frame{}, fmt.Errorf("%w: envelope over %d bytes", ErrFrame, MaxEnvelope)
	}
	return f, nil
}
