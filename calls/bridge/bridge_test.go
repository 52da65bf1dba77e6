package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestStartRefusesAnythingButLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "[::1]:0", "[::]:0", "192.168.1.10:0", "127.0.0.2:0", "example.com:0"} {
		b, err := Start(Config{Addr: addr})
		if err == nil {
			_ = b.Close()
			t.Errorf("Start(%q) listened; want ErrNotLoopback", addr)
			continue
		}
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Start(%q): %v, want ErrNotLoopback", addr, err)
		}
	}
	b := startBridge(t)
	if got := b.Addr().String(); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Fatalf("listening on %s", got)
	}
	if u := b.Endpoint().URL; !strings.HasPrefix(u, "ws://127.0.0.1:") || !strings.HasSuffix(u, Path) {
		t.Fatalf("endpoint URL %q", u)
	}
}

func TestTokenIsPerLaunchAndNeverPrinted(t *testing.T) {
	a, b := startBridge(t), startBridge(t)
	ta, tb := a.Endpoint().Token, b.Endpoint().Token
	if len(ta) != 64 || ta == tb {
		t.Fatalf("tokens not fresh 32-byte secrets: lengths %d and %d, equal %v", len(ta), len(tb), ta == tb)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %s", a.token, a.token, a.token), ta) {
		t.Fatal("formatting the token printed it")
	}
	if !a.token.Matches(ta) || a.token.Matches(tb) || a.token.Matches("") || a.token.Matches(ta[:63]) {
		t.Fatal("Matches is wrong")
	}
	if (Token{}).Matches("") {
		t.Fatal("the zero token matched the empty string")
	}
}

func TestWrongTokenIsRefusedWithoutEchoingIt(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	b, err := Start(Config{Origins: []string{testOrigin}, Logf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logs, f+"\n", a...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	good := b.Endpoint().Token
	bad := strings.Repeat("ab", 32)
	for _, tok := range []string{bad, good[:32], good + "00", strings.ToUpper(good)} {
		c, _, err := dial(t, b, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		sendHello(t, c, tok, "c0ffee", StreamRemote, FormatI420)
		if code := closeCode(t, c); code != websocket.ClosePolicyViolation {
			t.Fatalf("token %d chars: close code %d, want %d", len(tok), code, websocket.ClosePolicyViolation)
		}
	}
	// A right token after wrong ones still works: no lockout state to abuse.
	watch(t, b, "c0ffee", StreamRemote, FormatI420)
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), good) || strings.Contains(logs.String(), bad) {
		t.Fatalf("a token reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), ErrUnauthorized.Error()) {
		t.Fatalf("refusals not logged:\n%s", logs.String())
	}
}

func TestOriginsAreChecked(t *testing.T) {
	b := startBridge(t)
	for _, o := range []string{"wails://wails", "http://wails.localhost", "HTTP://WAILS.LOCALHOST/", testOrigin} {
		c, _, err := dial(t, b, o)
		if err != nil {
			t.Fatalf("origin %q refused: %v", o, err)
		}
		sendHello(t, c, b.Endpoint().Token, "01", StreamLocal, FormatI420)
		if ev := readEvent(t, c); ev != "ready" {
			t.Fatalf("origin %q: %q", o, ev)
		}
	}
	for _, o := range []string{"", "null", "http://evil.example", "http://127.0.0.1:1", "wails://wails.evil", "http://wails.localhost.evil.example", "file://"} {
		_, resp, err := dial(t, b, o)
		if err == nil {
			t.Fatalf("origin %q admitted", o)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: %v, want 403", o, err)
		}
	}
}

func TestHostHeaderIsChecked(t *testing.T) {
	b := startBridge(t)
	h := http.Header{"Origin": {testOrigin}}
	d := websocket.Dialer{NetDial: nil}
	u := strings.Replace(b.Endpoint().URL, "127.0.0.1", "localhost", 1)
	_, resp, err := d.Dial(u, h)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("Host localhost (a rebinding name) admitted: %v", err)
	}
}

func TestMalformedOrLateHelloIsRefused(t *testing.T) {
	b := startBridge(t)
	tok := b.Endpoint().Token
	for name, msg := range map[string]string{
		"not json":    "hello",
		"no call":     `{"token":"` + tok + `","stream":"remote"}`,
		"bad call":    `{"token":"` + tok + `","call":"../x","stream":"remote"}`,
		"bad stream":  `{"token":"` + tok + `","call":"01","stream":"screen"}`,
		"bad format":  `{"token":"` + tok + `","call":"01","stream":"remote","format":"png"}`,
		"too long":    `{"token":"` + tok + `","call":"01","stream":"remote","x":"` + strings.Repeat("a", 600) + `"}`,
		"binary type": "",
	} {
		c, _, err := dial(t, b, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		typ := websocket.TextMessage
		if name == "binary type" {
			typ, msg = websocket.BinaryMessage, `{"token":"`+tok+`","call":"01","stream":"remote"}`
		}
		if err := c.WriteMessage(typ, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if code := closeCode(t, c); code != websocket.ClosePolicyViolation && code != websocket.CloseMessageTooBig {
			t.Fatalf("%s: close code %d", name, code)
		}
	}
	// Silence: the bridge gives up after helloTimeout.
	c, _, err := dial(t, b, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != websocket.ClosePolicyViolation {
		t.Fatalf("silent client: close code %d", code)
	}
}

func TestFramesReachTheirStreamOnly(t *testing.T) {
	b := startBridge(t)
	remote := watch(t, b, "aa", StreamRemote, FormatI420)
	local := watch(t, b, "aa", StreamLocal, FormatI420)
	other := watch(t, b, "bb", StreamRemote, FormatI420)
	rs, ls := b.Sink("aa", StreamRemote), b.Sink("aa", StreamLocal)
	defer rs.Close()
	defer ls.Close()

	want := pattern(33, 17, 7) // odd sizes: chroma rounds up
	if err := rs.WriteVideo(want); err != nil {
		t.Fatal(err)
	}
	h, p := readFrame(t, remote)
	if h.Format != FormatI420 || h.Width != 33 || h.Height != 17 || h.Number != 7 {
		t.Fatalf("header %+v", h)
	}
	if d := h.Captured - float64(want.Captured.UnixMicro())/1000; d < -0.001 || d > 0.001 {
		t.Fatalf("capture time off by %v ms", d)
	}
	planes := append(append(append([]byte{}, want.Y...), want.U...), want.V...)
	if !bytes.Equal(p, planes) {
		t.Fatal("planes differ")
	}
	if err := ls.WriteVideo(pattern(8, 8, 9)); err != nil {
		t.Fatal(err)
	}
	if h, _ := readFrame(t, local); h.Number != 9 {
		t.Fatalf("local got frame %d", h.Number)
	}
	// Call bb's page saw nothing: its next message is the end of the call.
	b.EndCall("aa")
	if code := closeCode(t, remote); code != websocket.CloseNormalClosure {
		t.Fatalf("EndCall close code %d", code)
	}
	_ = other.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, data, err := other.ReadMessage(); err == nil {
		t.Fatalf("another call's page got %d bytes", len(data))
	}
	if err := rs.WriteVideo(want); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after EndCall: %v", err)
	}
}

func TestJPEGFrames(t *testing.T) {
	b := startBridge(t)
	c := watch(t, b, "01", StreamRemote, FormatJPEG)
	s := b.Sink("01", StreamRemote)
	defer s.Close()
	if err := s.WriteVideo(pattern(64, 48, 3)); err != nil {
		t.Fatal(err)
	}
	h, p := readFrame(t, c)
	img, err := jpeg.Decode(bytes.NewReader(p))
	if err != nil {
		t.Fatalf("decode jpeg: %v", err)
	}
	if h.Format != FormatJPEG || img.Bounds().Dx() != 64 || img.Bounds().Dy() != 48 {
		t.Fatalf("header %+v, image %v", h, img.Bounds())
	}
}

func TestSinkCloseSaysEndedAndALaterSinkResumes(t *testing.T) {
	b := startBridge(t)
	c := watch(t, b, "01", StreamLocal, FormatI420)
	s := b.Sink("01", StreamLocal)
	if err := s.WriteVideo(pattern(4, 4, 1)); err != nil {
		t.Fatal(err)
	}
	readFrame(t, c)
	_ = s.Close()
	if ev := readEvent(t, c); ev != "ended" {
		t.Fatalf("after Close: %q", ev)
	}
	if err := s.WriteVideo(pattern(4, 4, 2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
	s2 := b.Sink("01", StreamLocal) // camera on again
	defer s2.Close()
	if err := s2.WriteVideo(pattern(4, 4, 3)); err != nil {
		t.Fatal(err)
	}
	if h, _ := readFrame(t, c); h.Number != 3 {
		t.Fatalf("got frame %d", h.Number)
	}
}

func TestBadFramesAreRefused(t *testing.T) {
	b := startBridge(t)
	watch(t, b, "01", StreamRemote, FormatI420)
	s := b.Sink("01", StreamRemote)
	defer s.Close()
	short := pattern(16, 16, 1)
	short.U = short.U[:10]
	for name, f := range map[string]*struct{ w, h int }{"zero": {0, 4}, "huge": {9000, 2}} {
		fr := pattern(4, 4, 1)
		fr.Width, fr.Height = f.w, f.h
		if err := s.WriteVideo(fr); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := s.WriteVideo(short); !errors.Is(err, ErrBadFrame) {
		t.Errorf("short plane: %v", err)
	}
	if err := s.WriteVideo(nil); !errors.Is(err, ErrBadFrame) {
		t.Errorf("nil: %v", err)
	}
}

// A page that stops reading must not hold up the media path: WriteVideo keeps
// returning while the socket is full, and the page later gets the newest frame.
func TestSlowReaderLosesFramesNotTheWriter(t *testing.T) {
	b := startBridgeWith(t, Config{Origins: []string{testOrigin}, StallTimeout: time.Minute})
	slow := watch(t, b, "01", StreamRemote, FormatI420)
	fast := watch(t, b, "01", StreamRemote, FormatI420)
	s := b.Sink("01", StreamRemote)
	defer s.Close()

	const n = 120
	fastGot := make(chan uint32, n)
	go func() {
		for {
			_ = fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := fast.ReadMessage()
			if err != nil {
				close(fastGot)
				return
			}
			if h, _, err := parseFrameHeader(data); err == nil {
				fastGot <- h.Number
			}
		}
	}()
	done := make(chan error, 1)
	base := pattern(640, 480, 0)
	go func() {
		for i := range uint32(n) {
			f := *base
			f.Number = i + 1
			if err := s.WriteVideo(&f); err != nil {
				done <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second): // blocked on the slow page's socket
		t.Fatal("WriteVideo blocked while a page was not reading")
	}
	// The fast page reaches the last frame.
	for num := range fastGot {
		if num == n {
			break
		}
	}
	// The slow page, once it reads, ends on the newest frame having skipped many.
	var last uint32
	for last != n {
		h, _ := readFrame(t, slow)
		last = h.Number
	}
	st := b.Stats("01", StreamRemote)
	if st.Written != n || st.Dropped == 0 || st.Viewers != 2 {
		t.Fatalf("stats %+v: want %d written, some dropped, 2 viewers", st, n)
	}
	t.Logf("stats %+v", st)
}

func TestCloseDropsPagesAndRefusesMore(t *testing.T) {
	b := startBridge(t)
	c := watch(t, b, "01", StreamRemote, FormatI420)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("page still connected after Close")
	}
	if _, _, err := dial(t, b, testOrigin); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}

// A page that takes nothing for StallTimeout is dropped (it reconnects when it
// recovers) rather than pinning a goroutine and a frame forever.
func TestStalledPageIsDropped(t *testing.T) {
	b := startBridgeWith(t, Config{Origins: []string{testOrigin}, StallTimeout: 300 * time.Millisecond})
	c := watch(t, b, "01", StreamRemote, FormatI420)
	s := b.Sink("01", StreamRemote)
	defer s.Close()
	base := pattern(1280, 720, 0)
	deadline := time.Now().Add(20 * time.Second)
	for b.Stats("01", StreamRemote).Viewers > 0 {
		if time.Now().After(deadline) {
			t.Fatal("a page that never reads was not dropped")
		}
		f := *base
		f.Number++
		base.Number++
		if err := s.WriteVideo(&f); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = c.Close()
}

// A page that acknowledges frames never has more than maxInFlight unanswered,
// and each ack brings the newest frame, not the next old one.
func TestAckingPageGetsTheNewestFrameOnEachAck(t *testing.T) {
	b := startBridge(t)
	c, _, err := dial(t, b, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	hello := fmt.Sprintf(`{"token":%q,"call":"01","stream":"remote","format":"i420","ack":true}`, b.Endpoint().Token)
	if err := c.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		t.Fatal(err)
	}
	if ev := readEvent(t, c); ev != "ready" {
		t.Fatalf("first message %q", ev)
	}
	s := b.Sink("01", StreamRemote)
	defer s.Close()
	write := func(n uint32) {
		t.Helper()
		if err := s.WriteVideo(pattern(8, 8, n)); err != nil {
			t.Fatal(err)
		}
	}
	write(1)
	if h, _ := readFrame(t, c); h.Number != 1 {
		t.Fatalf("got %d", h.Number)
	}
	write(2)
	if h, _ := readFrame(t, c); h.Number != 2 {
		t.Fatalf("got %d", h.Number)
	}
	for n := uint32(3); n <= 20; n++ {
		write(n)
	}
	// Two unanswered: nothing more comes.
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, data, err := c.ReadMessage(); err == nil {
		t.Fatalf("a third unanswered frame arrived (%d bytes)", len(data))
	}
	// The read deadline broke this connection; use a fresh one for the rest.
	c2, _, err := dial(t, b, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		t.Fatal(err)
	}
	if ev := readEvent(t, c2); ev != "ready" {
		t.Fatalf("first message %q", ev)
	}
	if h, _ := readFrame(t, c2); h.Number != 20 { // the newest waits for a new page
		t.Fatalf("new page got %d first", h.Number)
	}
	write(21)
	if h, _ := readFrame(t, c2); h.Number != 21 {
		t.Fatalf("got %d", h.Number)
	}
	for n := uint32(22); n <= 30; n++ {
		write(n)
	}
	if err := c2.WriteMessage(websocket.TextMessage, []byte("ack")); err != nil {
		t.Fatal(err)
	}
	if h, _ := readFrame(t, c2); h.Number != 30 {
		t.Fatalf("after an ack got %d, want the newest (30)", h.Number)
	}
}
