package wsio

import (
	"encoding/binary"
	"fmt"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/relay/api"
)

// WriteNext writes the frames off the front of q that api.NextMessage
// would put in one message, and returns the rest. A Batch is streamed
// into the connection's write buffer frame by frame instead of being
// assembled first: one copy of each body fewer. Suited to connections
// with a write buffer as large as a usual batch (a smaller one splits the
// message into more WebSocket frames, one write each).
func WriteNext(ws *websocket.Conn, q [][]byte) (rest [][]byte, err error) {
	n, _ := api.MessageFrames(q)
	if n == 1 {
		return q[1:], ws.WriteMessage(websocket.BinaryMessage, q[0])
	}
	w, err := ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return q, err
	}
	var hdr [4]byte
	hdr[0], hdr[1] = api.FrameVersion, byte(api.FrameBatch)
	if _, err := w.Write(hdr[:2]); err != nil {
		return q, fmt.Errorf("write batch: %w", err)
	}
	for _, f := range q[:n] {
		binary.BigEndian.PutUint32(hdr[:], uint32(len(f)))
		if _, err := w.Write(hdr[:]); err != nil {
			return q, fmt.Errorf("write batch: %w", err)
		}
		if _, err := w.Write(f); err != nil {
			return q, fmt.Errorf("write batch: %w", err)
		}
	}
	return q[n:], w.Close()
}
