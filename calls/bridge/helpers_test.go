package bridge

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/calls/media"
)

const testOrigin = "http://127.0.0.1:9"

func startBridge(t testing.TB) *Bridge {
	t.Helper()
	return startBridgeWith(t, Config{Origins: []string{testOrigin}, Logf: t.Logf})
}

func startBridgeWith(t testing.TB, cfg Config) *Bridge {
	t.Helper()
	b, err := Start(cfg)
	if err != nil {
		t.Fatalf("start bridge: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// dial connects with origin (no hello yet).
func dial(t testing.TB, b *Bridge, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.DefaultDialer.Dial(b.Endpoint().URL, h)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, resp, err
}

func sendHello(t testing.TB, c *websocket.Conn, token, call string, s Stream, f Format) {
	t.Helper()
	msg, _ := json.Marshal(map[string]string{"token": token, "call": call, "stream": string(s), "format": f.String()})
	if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatalf("send hello: %v", err)
	}
}

// watch connects, says hello and waits for "ready".
func watch(t testing.TB, b *Bridge, call string, s Stream, f Format) *websocket.Conn {
	t.Helper()
	c, _, err := dial(t, b, testOrigin)
	if err != nil {
		t.Fatalf("dial bridge: %v", err)
	}
	sendHello(t, c, b.Endpoint().Token, call, s, f)
	if ev := readEvent(t, c); ev != "ready" {
		t.Fatalf("first message: %q, want ready", ev)
	}
	return c
}

// readEvent reads a text message and returns its event.
func readEvent(t testing.TB, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("got a binary message of %d bytes, want an event", len(data))
	}
	var ev struct{ Event string }
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("event %q: %v", data, err)
	}
	return ev.Event
}

// readFrame reads a binary frame message.
func readFrame(t *testing.T, c *websocket.Conn) (frameHeader, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if typ != websocket.BinaryMessage {
		t.Fatalf("got text %q, want a frame", data)
	}
	h, p, err := parseFrameHeader(data)
	if err != nil {
		t.Fatalf("parse frame: %v", err)
	}
	return h, p
}

// closeCode waits for the connection to close and returns the close code.
func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// pattern makes a w×h frame whose planes encode n, so a test can tell frames apart.
func pattern(w, h int, n uint32) *media.VideoFrame {
	cw, ch := chromaSize(w, h)
	f := &media.VideoFrame{Width: w, Height: h, Number: n, Captured: time.Now(),
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for i := range f.Y {
		f.Y[i] = byte(int(n) + i)
	}
	for i := range f.U {
		f.U[i] = byte(n)
		f.V[i] = byte(255 - n)
	}
	return f
}
