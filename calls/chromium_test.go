package calls

import (
	"context"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/relay"
)

//go:embed testdata/browser_peer.html
var browserPeerPage []byte

// browserBridge stands between a Manager and a page in Chromium: the
// Manager's blobs become JSON the page fetches, and the page's answer and
// candidates become blobs for HandleSignal. (In the app the other side is a
// Manager too; here it is Chromium's RTCPeerConnection.)
type browserBridge struct {
	t       *testing.T
	servers []webrtc.ICEServer
	out     chan map[string]any
	m       *Manager

	mu    sync.Mutex
	call  CallID
	stats browserStats
}

type browserStats struct {
	FramesDecoded int    `json:"framesDecoded"`
	AudioSamples  int    `json:"audioSamples"`
	State         string `json:"state"`
}

func (b *browserBridge) SendSignal(_ context.Context, _ string, blob []byte) error {
	s, err := UnmarshalSignal(blob)
	if err != nil {
		return err
	}
	switch s.Kind {
	case KindOffer:
		b.mu.Lock()
		b.call = s.Call
		b.mu.Unlock()
		b.out <- map[string]any{"type": "offer", "sdp": s.SDP, "iceServers": b.servers}
	case KindCandidate:
		b.out <- map[string]any{"type": "candidate", "candidate": s.Cand.Candidate, "sdpMid": s.Cand.Mid}
	}
	return nil
}

func (b *browserBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(browserPeerPage)
	case r.URL.Path == "/signal" && r.Method == http.MethodGet:
		select {
		case msg := <-b.out:
			_ = json.NewEncoder(w).Encode(msg)
		case <-time.After(time.Second):
			w.WriteHeader(http.StatusNoContent)
		}
	case r.URL.Path == "/signal" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg struct {
			Type, SDP, Candidate, SDPMid, Text string
			browserStats
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		id := b.call
		if msg.Type == "stats" {
			b.stats = msg.browserStats
		}
		b.mu.Unlock()
		var s *Signal
		switch msg.Type {
		case "answer":
			s = &Signal{Kind: KindAnswer, Call: id, Seq: 1, Video: true, SDP: msg.SDP}
		case "candidate":
			s = &Signal{Kind: KindCandidate, Call: id, Cand: Candidate{Candidate: msg.Candidate, Mid: msg.SDPMid}}
		case "log":
			b.t.Logf("page: %s", msg.Text)
		}
		if s != nil {
			blob, err := s.Marshal()
			if err == nil {
				err = b.m.HandleSignal(r.Context(), "browser", blob)
			}
			if err != nil {
				b.t.Errorf("browser %s: %v", msg.Type, err)
			}
		}
	default:
		http.NotFound(w, r)
	}
}

func (b *browserBridge) browser() browserStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// TestChromiumPeer: headless Chromium answers a video call from a Manager,
// both relay-only through the relay's TURN on loopback. Audio and video
// flow both ways: pion decodes Chromium's fake camera and microphone, and
// Chromium reports frames decoded and audio samples received.
func TestChromiumPeer(t *testing.T) {
	chromium := needTool(t, "chromium")
	secret := []byte("calls-chromium-turn")
	ts, err := relay.StartTURN(relay.TURNServerConfig{Listen: "127.0.0.1:0", RelayIP: "127.0.0.1", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	u, p := relay.TURNCredentials(secret, time.Now().Add(time.Hour))
	servers := []webrtc.ICEServer{{URLs: []string{"turn:" + ts.Addr() + "?transport=udp"}, Username: u, Credential: p}}

	wav, _ := speechWAV(t, "Hello from Go.")
	gm := &testMedia{wav: wav, w: 320, h: 240, fps: 30}
	bridge := &browserBridge{t: t, servers: servers, out: make(chan map[string]any, 64)}
	events := make(chan Event, 64)
	m, err := NewManager(Config{
		Signaler:   bridge,
		ICEServers: func(context.Context) ([]webrtc.ICEServer, error) { return servers, nil },
		RelayOnly:  func() bool { return true },
		Media:      gm,
		Events:     func(e Event) { events <- e },
		Logger:     debugLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	bridge.m = m
	hs := httptest.NewServer(bridge)
	t.Cleanup(hs.Close)

	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
		"--autoplay-policy=no-user-gesture-required", "--user-data-dir="+t.TempDir(),
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		hs.URL+"/")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	id, err := m.Call(context.Background(), "browser", true)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for connected := false; !connected; {
		select {
		case e := <-events:
			if e.State == StateEnded {
				t.Fatalf("call ended: %v (%v)", e.Reason, e.Err)
			}
			connected = e.State == StateConnected
		case <-deadline:
			t.Fatalf("not connected to Chromium; browser says %+v", bridge.browser())
		}
	}
	var st CallStats
	waitForLong(t, 20*time.Second, "media both ways", func() bool {
		st, _ = m.Stats(id)
		b := bridge.browser()
		return b.FramesDecoded >= 20 && b.AudioSamples >= 48000 && gm.written.Load() >= 20 && st.Audio.FramesDecoded >= 50
	}, func() string {
		return "browser " + toJSON(bridge.browser()) + "; go video frames " + toJSON(gm.written.Load()) + ", audio " + toJSON(st.Audio)
	})
	b := bridge.browser()
	t.Logf("Chromium decoded %d frames and received %d audio samples; Go decoded %d frames and %d audio frames; pair %s↔%s",
		b.FramesDecoded, b.AudioSamples, gm.written.Load(), st.Audio.FramesDecoded, st.LocalCandidate, st.RemoteCandidate)
	var energy float64
	for _, v := range gm.speaker.samples() {
		energy += float64(v) * float64(v)
	}
	if energy == 0 {
		t.Error("Chromium's audio decoded to silence")
	}
	if err := m.Hangup(id); err != nil {
		t.Fatal(err)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func waitForLong(t *testing.T, d time.Duration, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, state())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
