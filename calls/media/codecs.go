package media

import (
	"fmt"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Payload types offered for the two codecs (Chromium uses the same numbers).
const (
	OpusPayloadType webrtc.PayloadType = 111
	VP8PayloadType  webrtc.PayloadType = 96
)

// OpusCapability is what audio tracks are created with: Opus 48 kHz (2 channels in SDP, as RFC 7587
// requires; we send mono), in-band FEC on.
var OpusCapability = webrtc.RTPCodecCapability{
	MimeType:     webrtc.MimeTypeOpus,
	ClockRate:    48000,
	Channels:     2,
	SDPFmtpLine:  "minptime=10;useinbandfec=1",
	RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
}

// VP8Capability is what video tracks are created with: VP8 with NACK, PLI, FIR and transport-cc.
var VP8Capability = webrtc.RTPCodecCapability{
	MimeType:  webrtc.MimeTypeVP8,
	ClockRate: 90000,
	RTCPFeedback: []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	},
}

// RegisterCodecs registers Opus and VP8 (with their RTCP feedback) and the transport-wide sequence
// number header extension in m. Use it instead of m.RegisterDefaultCodecs.
func RegisterCodecs(m *webrtc.MediaEngine) error {
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: OpusCapability, PayloadType: OpusPayloadType},
		webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("register opus: %w", err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: VP8Capability, PayloadType: VP8PayloadType},
		webrtc.RTPCodecTypeVideo); err != nil {
		return fmt.Errorf("register vp8: %w", err)
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return fmt.Errorf("register transport-cc extension: %w", err)
		}
	}
	return nil
}

// NACKInterval is how often missing video packets are asked for again. pion's default (100 ms) would
// make the jitter buffer wait longer than a frame interval for every repair.
const NACKInterval = 20 * time.Millisecond

// TWCCInterval is how often transport-wide congestion feedback goes back to the sender (pion's
// default is 100 ms). The sender's queue detector (calls) and GCC react no sooner than it arrives.
const TWCCInterval = 50 * time.Millisecond

// MaxNACKsPerPacket bounds how often one missing packet is asked for. pion's default is no bound: a
// packet lost for good is asked for every NACKInterval while it stays in the receive log (seconds),
// and every ask is a retransmission, so on a capped link each loss became a flood that caused more
// loss (measured in calls/nettest on a 300 kbit/s cap: video kept stalling for 1–3 s at a time after
// adapting, 0–20 fps; with this bound 27–31 fps).
const MaxNACKsPerPacket = 4

// RegisterInterceptors adds what calls need to ir: NACK generation and responses, RTCP sender and
// receiver reports, transport-wide sequence numbers on outgoing packets and TWCC feedback for the
// remote's bandwidth estimator. The feedback itself is declared by RegisterCodecs. Bandwidth
// estimation (GCC) driving SetBitrate is the session's to add.
func RegisterInterceptors(ir *interceptor.Registry) error {
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(NACKInterval), nack.GeneratorMaxNacksPerPacket(MaxNACKsPerPacket))
	if err != nil {
		return fmt.Errorf("nack generator: %w", err)
	}
	resp, err := nack.NewResponderInterceptor()
	if err != nil {
		return fmt.Errorf("nack responder: %w", err)
	}
	recv, err := report.NewReceiverInterceptor()
	if err != nil {
		return fmt.Errorf("rtcp receiver reports: %w", err)
	}
	send, err := report.NewSenderInterceptor()
	if err != nil {
		return fmt.Errorf("rtcp sender reports: %w", err)
	}
	twccExt, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		return fmt.Errorf("twcc header extension: %w", err)
	}
	twccFeedback, err := twcc.NewSenderInterceptor(twcc.SendInterval(TWCCInterval))
	if err != nil {
		return fmt.Errorf("twcc feedback: %w", err)
	}
	for _, f := range []interceptor.Factory{resp, gen, recv, send, twccExt, twccFeedback} {
		ir.Add(f)
	}
	return nil
}
