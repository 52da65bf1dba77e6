package wsio

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/relay/internal/wstest"
)

// TestReadMessage sends messages of many sizes over a real WebSocket and
// checks each arrives whole, in a buffer of its own, and that the close
// error keeps its type.
func TestReadMessage(t *testing.T) {
	sizes := []int{0, 1, 100, scratchSize - 1, scratchSize, scratchSize + 1, 200 << 10, maxPooled + 5000, 10}
	url := wstest.Serve(t, func(ws *websocket.Conn) {
		for i, n := range sizes {
			if err := ws.WriteMessage(websocket.BinaryMessage, bytes.Repeat([]byte{byte(i + 1)}, n)); err != nil {
				return
			}
		}
		_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
	})
	ws := wstest.Dial(t, url)
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
	_, _, err := ReadMessage(ws)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure || !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("close: %v", err)
	}
}

func TestReadLimit(t *testing.T) {
	url := wstest.Serve(t, func(ws *websocket.Conn) {
		_ = ws.WriteMessage(websocket.BinaryMessage, make([]byte, 5000))
		_, _, _ = ws.ReadMessage()
	})
	ws := wstest.Dial(t, url)
	ws.SetReadLimit(4096)
	if _, _, err := ReadMessage(ws); !errors.Is(err, websocket.ErrReadLimit) {
		t.Fatalf("over the read limit: %v", err)
	}
}
