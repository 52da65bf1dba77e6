package calls

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/webrtc/v4"
)

// Bandwidth estimation bounds (bits per second).
const (
	initialBitrate = 1_000_000
	minBitrate     = 40_000
	maxBitrate     = 2_500_000
)

// newPeerConnection builds the call's PeerConnection: its own API (codecs,
// NACK, RTCP reports, TWCC and the GCC estimator), a fresh DTLS certificate,
// the ICE servers of the moment and the relay-only policy.
//
// pion checks the peer's DTLS certificate against the a=fingerprint of the
// SDP that came through the end-to-end channel; this package never turns
// that check off (a test greps the sources), and checks it once more itself
// (fingerprint.go).
func (c *call) newPeerConnection(ctx context.Context) error {
	cfg := &c.m.cfg
	me := &webrtc.MediaEngine{}
	ir := &interceptor.Registry{}
	bwe, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(initialBitrate),
			gcc.SendSideBWEMinBitrate(minBitrate), gcc.SendSideBWEMaxBitrate(maxBitrate),
			gcc.WithLoggerFactory(pionLogger{cfg.Logger}))
	})
	if err != nil {
		return fmt.Errorf("bandwidth estimator: %w", err)
	}
	bwe.OnNewPeerConnection(func(_ string, est cc.BandwidthEstimator) {
		c.ex.post(func() { c.setEstimator(est) })
	})
	// The queue detector goes in first, so it wraps the RTP writer innermost
	// and sees packets as the estimator's pacer lets them go; the estimator
	// next, so both see the transport-wide sequence numbers the TWCC
	// interceptor adds.
	det := newQueueDetector(func(cut cutRequest) { c.ex.post(func() { c.queueCut(cut) }) })
	ir.Add(&queueInterceptorFactory{det: det})
	c.queue = det
	ir.Add(bwe)
	if err := registerMedia(me, ir); err != nil {
		return fmt.Errorf("register codecs and interceptors: %w", err)
	}

	relayOnly := cfg.RelayOnly()
	var se webrtc.SettingEngine
	se.LoggerFactory = pionLogger{cfg.Logger}
	se.SetIncludeLoopbackCandidate(cfg.LoopbackCandidates)
	if cfg.LoopbackCandidates {
		// Tests on one machine: gather on the loopback address only, so no
		// test traffic uses the machine's other addresses.
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if relayOnly {
		// Without this pion waits 2 s before it accepts a relay pair.
		se.SetRelayAcceptanceMinWait(0)
	}
	if cfg.ICEDisconnectedTimeout > 0 || cfg.ICEFailedTimeout > 0 || cfg.ICEKeepalive > 0 {
		se.SetICETimeouts(cfg.ICEDisconnectedTimeout, cfg.ICEFailedTimeout, cfg.ICEKeepalive)
	}
	// A DTLS close_notify from the peer must not end the call by itself:
	// its hang-up signal says why, and ICE consent notices a dead peer.
	se.DisableCloseByDTLS(true)
	if cfg.Net != nil {
		se.SetNet(cfg.Net)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled) // a virtual network has no multicast
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))

	wc, err := c.configuration(ctx, relayOnly)
	if err != nil {
		return err
	}
	pc, err := api.NewPeerConnection(wc)
	if err != nil {
		return fmt.Errorf("new peer connection: %w", err)
	}
	c.pc = pc
	c.watch(pc)
	return nil
}

// configuration is the PeerConnection configuration for this call: fresh
// ICE servers and a certificate made for this call only.
func (c *call) configuration(ctx context.Context, relayOnly bool) (webrtc.Configuration, error) {
	servers, err := c.m.cfg.ICEServers(ctx)
	if err != nil {
		return webrtc.Configuration{}, fmt.Errorf("ice servers: %w", err)
	}
	if relayOnly && !hasTURN(servers) {
		return webrtc.Configuration{}, fmt.Errorf("relay-only calls need a TURN server and the relay offers none: %w", ErrNoNetworkPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return webrtc.Configuration{}, fmt.Errorf("dtls key: %w", err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		return webrtc.Configuration{}, fmt.Errorf("dtls certificate: %w", err)
	}
	policy := webrtc.ICETransportPolicyAll
	if relayOnly {
		policy = webrtc.ICETransportPolicyRelay
	}
	return webrtc.Configuration{
		ICEServers:         servers,
		ICETransportPolicy: policy,
		BundlePolicy:       webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy:      webrtc.RTCPMuxPolicyRequire,
		Certificates:       []webrtc.Certificate{*cert},
	}, nil
}

func hasTURN(servers []webrtc.ICEServer) bool {
	for _, s := range servers {
		for _, u := range s.URLs {
			if len(u) >= 5 && (u[:5] == "turn:" || u[:5] == "turns") {
				return true
			}
		}
	}
	return false
}

// setEstimator keeps the call's bandwidth estimator and feeds its target to
// the media senders.
func (c *call) setEstimator(est cc.BandwidthEstimator) {
	c.estimator = est
	est.OnTargetBitrateChange(func(bps int) {
		c.ex.post(func() {
			c.target.estimate = bps
			c.applyTarget()
		})
	})
}

// queueCut caps the target after the queue detector saw a standing queue, and holds the video
// while the queue drains (see queueDetector).
func (c *call) queueCut(cut cutRequest) {
	now := time.Now()
	bps := cut.bps
	if cut.scale > 0 {
		bps = int(cut.scale * float64(c.target.current(now)))
	}
	if !c.target.cut(bps, now) {
		return
	}
	// Hold first: the new target may step the resolution down, and the encoder restarts a new
	// resolution with a full-size keyframe — which, sent before the hold began, went into the
	// full queue (seen in calls/nettest: a 5 kB 640×360 keyframe 30 ms after the cut).
	if c.media != nil && c.media.videoSend != nil && cut.hold > 0 {
		c.media.videoSend.Hold(cut.hold)
	}
	c.applyTarget()
}

func (c *call) applyTarget() {
	if bps := c.target.current(time.Now()); c.media != nil && bps > 0 {
		c.media.setBitrate(bps)
	}
}
