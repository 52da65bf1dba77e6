// Package wstest runs a WebSocket server on a loopback port for tests, so a test can play the
// relay or the client with real sockets.
package wstest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// Serve starts a server that upgrades every request and runs handle on the connection (closed
// when handle returns). It returns the server's http:// URL; the server stops when the test ends.
func Serve(t testing.TB, handle func(ws *websocket.Conn)) string {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		handle(ws)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Dial opens a WebSocket to a server Serve started (its http:// URL); it is closed when the test
// ends, if not before.
func Dial(t testing.TB, httpURL string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(httpURL, "http"), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", httpURL, err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}
