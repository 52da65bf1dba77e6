package wsio

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestReadMessage sends messages of many sizes over a real WebSocket and
// checks each arrives whole, in a buffer of its own, and that the close
// error keeps its type.
func TestReadMessage(t *testing.T) {
	sizes := []int{0, 1, 100, scratchSize - 1, scratchSize, scratchSize + 1, 200 << 10, maxPooled + 5000, 10}
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for i, n := range sizes {
			if err := ws.WriteMessage(websocket.BinaryMessage, bytes.Repeat([]byte{byte(i + 1)}, n)); err != nil {
				return
			}
		}
		_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var got [][]byte
	for i, n := range sizes {
		mt, p, err := ReadMessage(ws)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if mt != websocket.BinaryMessage || len(p) != n || !bytes.Equal(p, bytes.Repeat([]byte{byte(i + 1)}, n)) {
			t.Fatalf("message %d: type %d, %d bytes, want %d", i, mt, len(p), n)
		}
		got = append(got, p)
	}
	// Earlier buffers were not reused by later reads.
	for i, p := range got {
		if len(p) > 0 && (p[0] != byte(i+1) || p[len(p)-1] != byte(i+1)) {
			t.Fatalf("message %d was overwritten", i)
		}
	}
	_, _, err = ReadMessage(ws)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure || !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("close: %v", err)
	}
}

func TestReadLimit(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_ = ws.WriteMessage(websocket.BinaryMessage, make([]byte, 5000))
		_, _, _ = ws.ReadMessage()
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadLimit(4096)
	if _, _, err := ReadMessage(ws); !errors.Is(err, websocket.ErrReadLimit) {
		t.Fatalf("over the read limit: %v", err)
	}
}
