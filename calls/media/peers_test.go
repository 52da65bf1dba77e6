package media

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// lossyFactory drops a fraction of the outgoing RTP packets of one media kind, after the NACK
// responder has stored them (register it first so it sits next to the network).
type lossyFactory struct {
	mime    string // drop only streams whose MIME type has this prefix ("audio/", "video/")
	rate    float64
	dropped atomic.Uint64
	passed  atomic.Uint64
}

func (f *lossyFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossyInterceptor{f: f, rng: rand.New(rand.NewPCG(7, 11))}, nil
}

type lossyInterceptor struct {
	interceptor.NoOp
	f   *lossyFactory
	mu  sync.Mutex
	rng *rand.Rand
}

func (l *lossyInterceptor) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), l.f.mime) {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		l.mu.Lock()
		drop := l.rng.Float64() < l.f.rate
		l.mu.Unlock()
		if drop {
			l.f.dropped.Add(1)
			return len(payload), nil
		}
		l.f.passed.Add(1)
		return w.Write(h, payload, a)
	})
}

// newPeer builds a PeerConnection the way package calls will: our codecs and interceptors, loopback
// candidates allowed. loss, when set, goes in front of everything else on the sending side.
func newPeer(t testing.TB, loss *lossyFactory) *webrtc.PeerConnection {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := RegisterCodecs(m); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if loss != nil {
		ir.Add(loss)
	}
	if err := RegisterInterceptors(ir); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// connect runs offer/answer in-process with full ICE gathering (no trickle) and waits until both
// sides are connected.
func connect(t testing.TB, offerer, answerer *webrtc.PeerConnection) {
	t.Helper()
	connected := func(pc *webrtc.PeerConnection) chan struct{} {
		ch := make(chan struct{})
		var once sync.Once
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if s == webrtc.PeerConnectionStateConnected {
				once.Do(func() { close(ch) })
			}
		})
		return ch
	}
	c1, c2 := connected(offerer), connected(answerer)
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g1 := webrtc.GatheringCompletePromise(offerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-g1
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g2 := webrtc.GatheringCompletePromise(answerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-g2
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []chan struct{}{c1, c2} {
		select {
		case <-c:
		case <-ctx.Done():
			t.Fatal("peers did not connect within 10 s")
		}
	}
}

// remoteTrack waits for the answerer's first remote track of the given kind.
func onRemoteTrack(pc *webrtc.PeerConnection) <-chan *webrtc.TrackRemote {
	ch := make(chan *webrtc.TrackRemote, 2)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { ch <- tr })
	return ch
}

func waitTrack(t testing.TB, ch <-chan *webrtc.TrackRemote) *webrtc.TrackRemote {
	t.Helper()
	select {
	case tr := <-ch:
		return tr
	case <-time.After(10 * time.Second):
		t.Fatal("no remote track within 10 s")
	}
	return nil
}

// addSendTrack adds a send-only track of the given capability to pc and reads its RTCP (so the
// interceptors see NACKs), passing keyframe requests to onKeyframe() when set.
func addSendTrack(t testing.TB, pc *webrtc.PeerConnection, c webrtc.RTPCodecCapability, id string, onKeyframe *func()) *webrtc.TrackLocalStaticSample {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticSample(c, id, "sotto")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := pc.AddTrack(tr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	go ForwardKeyframeRequests(sender, func() {
		mu.Lock()
		defer mu.Unlock()
		if onKeyframe != nil && *onKeyframe != nil {
			(*onKeyframe)()
		}
	})
	return tr
}
