package calls

import (
	"context"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/calls/media"
	"github.com/sotto-im/sotto/relay"
)

// BenchmarkCallSetup measures, over loopback and relay-only through the
// relay's embedded TURN server, the time from the callee accepting to both
// sides connected and to both sides playing the other's first audio. The
// signaling goes through the in-process network of the tests (no relay
// WebSocket, no ratchet), so this is the Manager's share of call setup. In
// the same run it measures the floor: two bare pion PeerConnections with
// the same codecs, interceptors, TURN server and media, signaled by direct
// function calls, from the moment the answerer starts to build its side.
func BenchmarkCallSetup(b *testing.B) {
	secret := []byte("calls-bench-turn")
	ts, err := relay.StartTURN(relay.TURNServerConfig{Listen: "127.0.0.1:0", RelayIP: "127.0.0.1", Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	defer ts.Close()
	servers := func(context.Context) ([]webrtc.ICEServer, error) {
		u, p := relay.TURNCredentials(secret, time.Now().Add(time.Hour))
		return []webrtc.ICEServer{{URLs: []string{"turn:" + ts.Addr() + "?transport=udp"}, Username: u, Credential: p}}, nil
	}
	wav, _ := speechWAV(b, "One two three four five six seven eight.")

	var connected, audio, floorConnected, floorAudio []time.Duration
	for range b.N {
		c, a := managerSetup(b, servers, wav)
		connected, audio = append(connected, c), append(audio, a)
		fc, fa := floorSetup(b, servers, wav)
		floorConnected, floorAudio = append(floorConnected, fc), append(floorAudio, fa)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	c, a, fc, fa := median(connected), median(audio), median(floorConnected), median(floorAudio)
	b.ReportMetric(ms(c), "answer→connected-ms")
	b.ReportMetric(ms(a), "answer→audio-ms")
	b.ReportMetric(ms(fc), "floor-connected-ms")
	b.ReportMetric(ms(fa), "floor-audio-ms")
	b.ReportMetric(float64(c)/float64(fc), "connected/floor")
	b.ReportMetric(float64(a)/float64(fa), "audio/floor")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// managerSetup runs one call between two Managers and returns accept →
// both connected and accept → both playing audio.
func managerSetup(b *testing.B, servers func(context.Context) ([]webrtc.ICEServer, error), wav string) (time.Duration, time.Duration) {
	n := newNetwork(b)
	am, bm := &testMedia{wav: wav}, &testMedia{wav: wav}
	alice := n.add("alice", func(c *Config) { relayOnly(servers)(c); c.Media = am })
	bob := n.add("bob", func(c *Config) { relayOnly(servers)(c); c.Media = bm })
	id, err := alice.m.Call(context.Background(), "bob", false)
	if err != nil {
		b.Fatal(err)
	}
	bob.wait(b, StateRinging)
	start := time.Now()
	if err := bob.m.Accept(context.Background(), id, false); err != nil {
		b.Fatal(err)
	}
	alice.wait(b, StateConnected)
	bob.wait(b, StateConnected)
	connected := time.Since(start)
	var last time.Time
	for _, p := range []*peer{alice, bob} {
		deadline := time.Now().Add(waitLong)
		for {
			st, err := p.m.Stats(id)
			if err != nil {
				b.Fatal(err)
			}
			if !st.FirstAudioPlayed.IsZero() {
				if st.FirstAudioPlayed.After(last) {
					last = st.FirstAudioPlayed
				}
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s played no audio", p.name)
			}
			time.Sleep(time.Millisecond)
		}
	}
	_ = alice.m.Hangup(id)
	bob.waitEnd(b)
	alice.m.Close()
	bob.m.Close()
	return connected, last.Sub(start)
}

// floorPeer is one bare pion PeerConnection with the calls codecs,
// interceptors and media.
type floorPeer struct {
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticSample
	connected chan struct{}
	played    atomic.Int64
}

func newFloorPeer(b *testing.B, servers []webrtc.ICEServer, wav string) *floorPeer {
	me, ir := &webrtc.MediaEngine{}, &interceptor.Registry{}
	if err := media.RegisterCodecs(me); err != nil {
		b.Fatal(err)
	}
	if err := media.RegisterInterceptors(ir); err != nil {
		b.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.LoggerFactory = pionLogger{debugLogger}
	se.SetRelayAcceptanceMinWait(0)
	se.SetIncludeLoopbackCandidate(true)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: servers, ICETransportPolicy: webrtc.ICETransportPolicyRelay})
	if err != nil {
		b.Fatal(err)
	}
	p := &floorPeer{pc: pc, connected: make(chan struct{})}
	p.track, err = webrtc.NewTrackLocalStaticSample(media.OpusCapability, "audio", "floor")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pc.AddTrack(p.track); err != nil {
		b.Fatal(err)
	}
	var once atomic.Bool
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected && once.CompareAndSwap(false, true) {
			close(p.connected)
			src, err := media.NewWAVSource(wav)
			if err == nil {
				_, err = media.StartAudioSender(context.Background(), p.track, src, media.AudioConfig{})
			}
			if err != nil {
				b.Error(err)
			}
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		sink := &firstWrite{sink: &pcmSink{}, first: &p.played}
		if _, err := media.StartAudioReceiver(context.Background(), t, sink); err != nil {
			b.Error(err)
		}
	})
	return p
}

// floorSetup is managerSetup for bare pion peers.
func floorSetup(b *testing.B, servers func(context.Context) ([]webrtc.ICEServer, error), wav string) (time.Duration, time.Duration) {
	sv, _ := servers(context.Background())
	caller := newFloorPeer(b, sv, wav)
	defer caller.pc.Close()
	var callee *floorPeer
	pending := make(chan webrtc.ICECandidateInit, 64)
	caller.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			select {
			case pending <- c.ToJSON():
			default:
			}
		}
	})
	offer, err := caller.pc.CreateOffer(nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := caller.pc.SetLocalDescription(offer); err != nil {
		b.Fatal(err)
	}

	start := time.Now()
	sv, _ = servers(context.Background())
	callee = newFloorPeer(b, sv, wav)
	defer callee.pc.Close()
	back := make(chan webrtc.ICECandidateInit, 64)
	callee.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			select {
			case back <- c.ToJSON():
			default:
			}
		}
	})
	if err := callee.pc.SetRemoteDescription(offer); err != nil {
		b.Fatal(err)
	}
	answer, err := callee.pc.CreateAnswer(nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := callee.pc.SetLocalDescription(answer); err != nil {
		b.Fatal(err)
	}
	if err := caller.pc.SetRemoteDescription(answer); err != nil {
		b.Fatal(err)
	}
	// Each side's candidates go in once its remote description is set.
	done := make(chan struct{})
	defer close(done)
	forward := func(from chan webrtc.ICECandidateInit, to *webrtc.PeerConnection) {
		for {
			select {
			case c := <-from:
				_ = to.AddICECandidate(c)
			case <-done:
				return
			}
		}
	}
	go forward(pending, callee.pc)
	go forward(back, caller.pc)
	for _, p := range []*floorPeer{caller, callee} {
		select {
		case <-p.connected:
		case <-time.After(waitLong):
			b.Fatal("floor peers did not connect")
		}
	}
	connected := time.Since(start)
	deadline := time.Now().Add(waitLong)
	for caller.played.Load() == 0 || callee.played.Load() == 0 {
		if time.Now().After(deadline) {
			b.Fatal("floor peers played no audio")
		}
		time.Sleep(time.Millisecond)
	}
	last := time.Unix(0, max(caller.played.Load(), callee.played.Load()))
	return connected, last.Sub(start)
}
