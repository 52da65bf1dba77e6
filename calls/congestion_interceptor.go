package calls

import (
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// queueInterceptorFactory puts a queueDetector on a PeerConnection: it sees every RTP packet as it
// leaves (registered before the bandwidth estimator, so after its pacer) and every TWCC feedback.
type queueInterceptorFactory struct{ det *queueDetector }

func (f *queueInterceptorFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &queueInterceptor{det: f.det}, nil
}

type queueInterceptor struct {
	interceptor.NoOp
	det *queueDetector
}

func (q *queueInterceptor) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var id uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			id = uint8(e.ID) //nolint:gosec // header extension IDs are 1–14
		}
	}
	if id == 0 {
		return writer
	}
	video := strings.HasPrefix(strings.ToLower(info.MimeType), "video/")
	var (
		mu       sync.Mutex
		highest  uint16
		started  bool
		resentAt = map[uint16]time.Time{} // retransmissions, while a queue stands
		held     = map[uint16]time.Time{} // video packets dropped during a hold, and when
	)
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		now := time.Now()
		mu.Lock()
		if send := q.mayWrite(h.SequenceNumber, video, now, &highest, &started, resentAt, held); !send {
			mu.Unlock()
			return h.MarshalSize() + len(payload), nil // see queueDetector: not sent
		}
		mu.Unlock()
		if ext := h.GetExtension(id); len(ext) >= 2 {
			q.det.onSent(binary.BigEndian.Uint16(ext), h.MarshalSize()+len(payload), len(payload), now)
		}
		return writer.Write(h, payload, a)
	})
}

// heldMemory is how long a packet dropped in a hold stays refused as a retransmission (the asks
// for it come within a round trip of the hold's end; 16-bit sequence numbers come round again).
const heldMemory = 2 * time.Second

// mayWrite decides whether packet seq of a stream goes out now. During a cut's hold a video
// stream's packets are dropped: what leaves the pacer then was encoded before the cut (a
// CPU-starved 720p sender's frames are 12–19 kB, which the pacer kept feeding the full queue at
// the new rate through the whole hold — calls/nettest), the receiver needs the keyframe the hold
// ends with anyway, and their retransmissions are never sent either. Other retransmissions
// follow resendPolicy.
func (q *queueInterceptor) mayWrite(seq uint16, video bool, now time.Time, highest *uint16, started *bool, resentAt, held map[uint16]time.Time) bool {
	resend := *started && int16(seq-*highest) <= 0
	if !resend {
		*highest, *started = seq, true
	}
	if resend {
		if at, ok := held[seq]; ok && now.Sub(at) < heldMemory {
			return false
		}
		hold, spacing := q.det.resendPolicy(now)
		if hold {
			return false
		}
		if spacing > 0 {
			if at, ok := resentAt[seq]; ok && now.Sub(at) < spacing {
				return false
			}
			if len(resentAt) > 1024 {
				clear(resentAt) // entries that old are past any spacing
			}
			resentAt[seq] = now
		}
		return true
	}
	if video && q.det.holding(now) {
		if len(held) > 4096 {
			clear(held)
		}
		held[seq] = now
		return false
	}
	return true
}

func (q *queueInterceptor) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil {
			return n, a, err
		}
		if a == nil {
			a = make(interceptor.Attributes)
		}
		pkts, perr := a.GetRTCPPackets(b[:n])
		if perr != nil {
			return n, a, nil // not ours to reject; the other interceptors see the same bytes
		}
		now := time.Now()
		for _, p := range pkts {
			if fb, ok := p.(*rtcp.TransportLayerCC); ok {
				q.det.onFeedback(fb, now)
			}
		}
		return n, a, nil
	})
}
