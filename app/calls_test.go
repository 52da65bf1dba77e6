package app

import (
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/calls/bridge"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// callWatcher records the CallViews one side's service emits.
type callWatcher struct {
	mu    sync.Mutex
	views []CallView
	wake  chan struct{}
}

func newCallWatcher() *callWatcher { return &callWatcher{wake: make(chan struct{}, 1)} }

func (w *callWatcher) emit(v CallView) {
	w.mu.Lock()
	w.views = append(w.views, v)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *callWatcher) waitFor(t *testing.T, what string, ok func(CallView) bool) CallView {
	t.Helper()
	deadline := time.After(30 * time.Second)
	seen := 0
	for {
		w.mu.Lock()
		for ; seen < len(w.views); seen++ {
			if ok(w.views[seen]) {
				v := w.views[seen]
				w.mu.Unlock()
				return v
			}
		}
		w.mu.Unlock()
		select {
		case <-w.wake:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestCallThroughTheApp: two profiles on a real relay call each other
// through the app's services (signaling inside the encrypted channel), the
// callee answers, both connect, the caller hangs up, and both conversations
// get a call log entry.
func TestCallThroughTheApp(t *testing.T) {
	url := relaytest.Serve(t)
	alice, bob := newChats(t, "alice", url), newChats(t, "bob", url)
	aw, bw := newCallWatcher(), newCallWatcher()
	opts := CallOptions{LoopbackCandidates: true}
	aliceCalls := NewCalls(alice, alice.log, aw.emit, opts)
	bobCalls := NewCalls(bob, bob.log, bw.emit, opts)
	for _, c := range []*Chats{alice, bob} {
		if _, err := c.Register(string(c.profile), url, pass); err != nil {
			t.Fatal(err)
		}
	}
	// Calls ring only between accepted contacts: a message each way first.
	conv, err := alice.StartConversation("bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(conv.ID, "call you in a minute", 0); err != nil {
		t.Fatal(err)
	}
	bconv := waitConversation(t, bob, "alice")
	if _, err := bob.Send(bconv, "ok", 0); err != nil {
		t.Fatal(err)
	}

	started, err := aliceCalls.Start(conv.ID, false)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if !started.Outgoing || started.Handle != "bob" || started.Conversation != conv.ID {
		t.Fatalf("started call %+v", started)
	}
	ring := bw.waitFor(t, "the incoming call", func(v CallView) bool { return v.State == "incoming" })
	if ring.Handle != "alice" || ring.ID != started.ID || ring.Conversation != bconv {
		t.Fatalf("incoming call %+v", ring)
	}
	if err := bobCalls.Accept(ring.ID, false); err != nil {
		t.Fatalf("accept: %v", err)
	}
	aw.waitFor(t, "alice connected", func(v CallView) bool { return v.State == "connected" && v.ConnectedAt > 0 })
	bw.waitFor(t, "bob connected", func(v CallView) bool { return v.State == "connected" })
	if active, err := bobCalls.Active(); err != nil || len(active) != 1 || active[0].State != "connected" {
		t.Fatalf("bob's active calls %+v %v", active, err)
	}
	if err := aliceCalls.SetMuted(started.ID, true); err != nil {
		t.Fatalf("mute: %v", err)
	}
	aw.waitFor(t, "muted view", func(v CallView) bool { return v.Muted })
	if err := aliceCalls.Hangup(started.ID); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	aw.waitFor(t, "alice ended", func(v CallView) bool { return v.State == "ended" && v.EndReason == "hung up" })
	bw.waitFor(t, "bob ended", func(v CallView) bool { return v.State == "ended" && v.EndReason == "hung up" })
	if err := aliceCalls.Hangup(started.ID); err == nil {
		t.Fatal("hanging up an ended call succeeded")
	}
	for name, side := range map[string]struct {
		c        *Chats
		conv     int64
		outgoing bool
	}{"alice": {alice, conv.ID, true}, "bob": {bob, bconv, false}} {
		waitCallLog(t, name, side.c, side.conv, func(l *CallLogView) bool {
			return l.Outgoing == side.outgoing && l.Reason == "" && !l.Video
		})
	}
}

// TestDeclinedCallIsLogged: a declined call ends on both sides with that
// reason and shows as declined in the caller's conversation.
func TestDeclinedCallIsLogged(t *testing.T) {
	url := relaytest.Serve(t)
	alice, bob := newChats(t, "alice", url), newChats(t, "bob", url)
	aw, bw := newCallWatcher(), newCallWatcher()
	aliceCalls := NewCalls(alice, alice.log, aw.emit, CallOptions{LoopbackCandidates: true})
	bobCalls := NewCalls(bob, bob.log, bw.emit, CallOptions{LoopbackCandidates: true})
	for _, c := range []*Chats{alice, bob} {
		if _, err := c.Register(string(c.profile), url, pass); err != nil {
			t.Fatal(err)
		}
	}
	conv, _ := alice.StartConversation("bob")
	if _, err := alice.Send(conv.ID, "hi", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(waitConversation(t, bob, "alice"), "hi", 0); err != nil {
		t.Fatal(err)
	}
	v, err := aliceCalls.Start(conv.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	ring := bw.waitFor(t, "ring", func(v CallView) bool { return v.State == "incoming" })
	if err := bobCalls.Decline(ring.ID); err != nil {
		t.Fatal(err)
	}
	aw.waitFor(t, "declined", func(x CallView) bool { return x.ID == v.ID && x.State == "ended" && x.EndReason == "declined" })
	waitCallLog(t, "alice", alice, conv.ID, func(l *CallLogView) bool { return l.Reason == "declined" && l.Outgoing && l.Video })
}

func waitConversation(t *testing.T, c *Chats, with string) int64 {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		convs, err := c.Conversations()
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range convs {
			if cv.Handle == with && cv.LastMessage != "" {
				return cv.ID
			}
		}
	}
	t.Fatalf("no conversation with %s", with)
	return 0
}

func waitCallLog(t *testing.T, name string, c *Chats, conv int64, ok func(*CallLogView) bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		msgs, err := c.Messages(conv, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.CallLog != nil && ok(m.CallLog) {
				return
			}
		}
	}
	t.Fatalf("%s: no matching call log entry", name)
}

// TestVideoCallReachesTheWindow: a video call between two profiles whose
// cameras are test patterns; bob's window (a WebSocket client of the video
// bridge, as the UI is) receives alice's frames as the remote stream and
// his own as the self-view.
func TestVideoCallReachesTheWindow(t *testing.T) {
	url := relaytest.Serve(t)
	alice, bob := newChats(t, "alice", url), newChats(t, "bob", url)
	aw, bw := newCallWatcher(), newCallWatcher()
	cam := FileMedia{VideoIn: "test"}
	aliceCalls := NewCalls(alice, alice.log, aw.emit, CallOptions{LoopbackCandidates: true, Media: cam})
	bobCalls := NewCalls(bob, bob.log, bw.emit, CallOptions{LoopbackCandidates: true, Media: cam, ShowVideo: true,
		BridgeOrigins: []string{"http://test.local"}})
	t.Cleanup(func() { _ = CloseCalls(bobCalls) })
	if _, err := aliceCalls.VideoEndpoint(); err == nil {
		t.Fatal("a service without ShowVideo offered a video endpoint")
	}
	for _, c := range []*Chats{alice, bob} {
		if _, err := c.Register(string(c.profile), url, pass); err != nil {
			t.Fatal(err)
		}
	}
	conv, _ := alice.StartConversation("bob")
	if _, err := alice.Send(conv.ID, "video?", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(waitConversation(t, bob, "alice"), "sure", 0); err != nil {
		t.Fatal(err)
	}
	call, err := aliceCalls.Start(conv.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	ring := bw.waitFor(t, "ring", func(v CallView) bool { return v.State == "incoming" })
	if !ring.RemoteVideo {
		t.Fatalf("incoming call does not say it is a video call: %+v", ring)
	}
	ep, err := bobCalls.VideoEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	remote := watchBridge(t, ep, call.ID, "remote")
	local := watchBridge(t, ep, call.ID, "local")
	if err := bobCalls.Accept(ring.ID, true); err != nil {
		t.Fatal(err)
	}
	bw.waitFor(t, "connected", func(v CallView) bool { return v.State == "connected" })
	for name, c := range map[string]*websocket.Conn{"remote": remote, "local": local} {
		frames := 0
		for frames < 10 {
			_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
			typ, data, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("%s stream after %d frames: %v", name, frames, err)
			}
			if typ == websocket.BinaryMessage && len(data) > 640*480 {
				frames++
			}
		}
	}
	if err := aliceCalls.Hangup(call.ID); err != nil {
		t.Fatal(err)
	}
	bw.waitFor(t, "ended", func(v CallView) bool { return v.State == "ended" })
	// The call's pages are told it is over.
	_ = remote.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := remote.ReadMessage(); err != nil {
			break
		}
	}
}

// watchBridge connects to the video bridge as the window does.
func watchBridge(t *testing.T, ep bridge.Endpoint, call, stream string) *websocket.Conn {
	t.Helper()
	h := http.Header{}
	h.Set("Origin", "http://test.local")
	c, _, err := websocket.DefaultDialer.Dial(ep.URL, h)
	if err != nil {
		t.Fatalf("dial the bridge: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	hello, _ := json.Marshal(map[string]string{"token": ep.Token, "call": call, "stream": stream, "format": "i420"})
	if err := c.WriteMessage(websocket.TextMessage, hello); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNetworkFingerprint(t *testing.T) {
	addrs := func(ips ...string) func() ([]net.Addr, error) {
		return func() ([]net.Addr, error) {
			var out []net.Addr
			for _, ip := range ips {
				out = append(out, &net.IPNet{IP: net.ParseIP(ip), Mask: net.CIDRMask(24, 32)})
			}
			return out, nil
		}
	}
	a := networkFingerprint(addrs("127.0.0.1", "192.0.2.10", "fe80::1"))
	if a != "192.0.2.10" {
		t.Fatalf("fingerprint %q counts loopback or link-local addresses", a)
	}
	if b := networkFingerprint(addrs("192.0.2.10", "127.0.0.1")); b != a {
		t.Fatalf("same network, different fingerprint: %q vs %q", a, b)
	}
	if c := networkFingerprint(addrs("198.51.100.7", "127.0.0.1")); c == a {
		t.Fatal("a new address went unnoticed")
	}
}

func TestRateCall(t *testing.T) {
	good := callSample{rtt: 40 * time.Millisecond, jitter: 5 * time.Millisecond, bitrate: 1_000_000, video: true}
	for _, c := range []struct {
		name string
		s    callSample
		want string
	}{
		{"healthy", good, "good"},
		{"slow path", callSample{rtt: 300 * time.Millisecond}, "fair"},
		{"very slow path", callSample{rtt: 800 * time.Millisecond}, "poor"},
		{"some loss", callSample{loss: 0.05}, "fair"},
		{"heavy loss", callSample{loss: 0.2}, "poor"},
		{"jittery", callSample{jitter: 80 * time.Millisecond}, "fair"},
		{"starved video", callSample{video: true, bitrate: 100_000}, "fair"},
		{"starved but voice only", callSample{bitrate: 100_000}, "good"},
		{"audio stopped", callSample{audioSilent: 4 * time.Second}, "poor"},
	} {
		if got := rateCall(c.s); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
