package wsio

import (
	"errors"
	"io"
	"sync"

	"github.com/gorilla/websocket"
)

// scratchSize is the first read's size: most messages (one frame, an ack,
// a 1 KiB envelope) fit in one read.
const scratchSize = 16 << 10

var scratch = sync.Pool{New: func() any { b := make([]byte, scratchSize); return &b }}

// ReadMessage reads the next data message like websocket.Conn.ReadMessage:
// the returned buffer is the caller's, never reused. The connection's read
// limit bounds it.
func ReadMessage(ws *websocket.Conn) (messageType int, p []byte, err error) {
	messageType, r, err := ws.NextReader()
	if err != nil {
		return messageType, nil, err
	}
	bp := scratch.Get().(*[]byte)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, rerr := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				break
			}
			putScratch(bp, b)
			// Unwrapped, as websocket.Conn.ReadMessage returns it: callers
			// test close errors by type.
			return messageType, nil, rerr
		}
	}
	p = make([]byte, len(b))
	copy(p, b)
	putScratch(bp, b)
	return messageType, p, nil
}

// maxPooled keeps scratch buffers grown by a rare large message out of the
// pool, so idle memory stays small.
const maxPooled = 256 << 10

func putScratch(bp *[]byte, b []byte) {
	if cap(b) > maxPooled {
		b = make([]byte, scratchSize)
	}
	*bp = b[:cap(b)]
	scratch.Put(bp)
}
