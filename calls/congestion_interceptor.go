package calls

import (
	"encoding/binary"
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
	var highest uint16
	started := false
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if resend := started && int16(h.SequenceNumber-highest) <= 0; resend && !q.det.allowResend(h.SequenceNumber, time.Now()) {
			return h.MarshalSize() + len(payload), nil // see queueDetector: not sent
		}
		if !started || int16(h.SequenceNumber-highest) > 0 {
			highest, started = h.SequenceNumber, true
		}
		if ext := h.GetExtension(id); len(ext) >= 2 {
			q.det.onSent(binary.BigEndian.Uint16(ext), h.MarshalSize()+len(payload), len(payload), time.Now())
		}
		return writer.Write(h, payload, a)
	})
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
