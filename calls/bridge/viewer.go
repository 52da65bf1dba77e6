package bridge

import (
	"bytes"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// viewer is one page watching one stream. Its goroutine sends the newest frame
// whenever it is free; frames that arrive while it is busy are skipped.
type viewer struct {
	conn   *websocket.Conn
	feed   *feed
	format Format
	ack    bool // the page acknowledges frames (flow control)
	stall  time.Duration
	wakeC  chan struct{}
	endC   chan string
}

// wake never blocks: one pending wake-up is as good as many.
func (v *viewer) wake() {
	select {
	case v.wakeC <- struct{}{}:
	default:
	}
}

// end asks the viewer's goroutine to close the connection with reason.
func (v *viewer) end(reason string) {
	select {
	case v.endC <- reason:
	default:
	}
}

// maxInFlight is how many frames a page that acknowledges may have
// unanswered: one being drawn and one waiting.
const maxInFlight = 2

var (
	ackMsg   = []byte("ack")
	readyMsg = []byte(`{"event":"ready"}`)
	endedMsg = []byte(`{"event":"ended"}`)
)

func (b *Bridge) serveWS(w http.ResponseWriter, r *http.Request) {
	if r.Host != b.host {
		b.logf("media bridge: refused a connection for host %q", clip(r.Host))
		http.Error(w, "wrong host", http.StatusForbidden)
		return
	}
	if !b.origins.allows(r.Header.Get("Origin")) {
		b.logf("media bridge: refused a connection from origin %q", clip(r.Header.Get("Origin")))
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	up := websocket.Upgrader{
		ReadBufferSize:  maxHelloBytes,
		WriteBufferSize: 64 << 10,
		CheckOrigin:     func(*http.Request) bool { return true }, // checked above
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	if !b.track(conn) {
		_ = conn.Close()
		return
	}
	defer b.untrack(conn)

	h, err := readHello(conn, b.token)
	if err != nil {
		b.logf("media bridge: %v", err)
		closeWith(conn, websocket.ClosePolicyViolation, "unauthorized")
		return
	}
	v := &viewer{conn: conn, format: h.Format, ack: h.Ack, stall: b.stall, wakeC: make(chan struct{}, 1), endC: make(chan string, 1)}
	if !b.attach(v, key{h.Call, h.Stream}) {
		closeWith(conn, websocket.CloseGoingAway, "closed")
		return
	}
	defer b.detach(v)
	v.run()
}

// readHello reads and checks the first message within helloTimeout.
func readHello(conn *websocket.Conn, token Token) (hello, error) {
	conn.SetReadLimit(maxHelloBytes)
	_ = conn.SetReadDeadline(time.Now().Add(helloTimeout))
	typ, data, err := conn.ReadMessage()
	if err != nil {
		return hello{}, ErrBadHello
	}
	if typ != websocket.TextMessage {
		return hello{}, ErrBadHello
	}
	h, err := parseHello(data)
	if err != nil {
		return hello{}, err
	}
	if !token.Matches(h.Token) {
		return hello{}, ErrUnauthorized
	}
	_ = conn.SetReadDeadline(time.Time{})
	return h, nil
}

// run sends frames until the page leaves, a write stalls or the call ends.
func (v *viewer) run() {
	gone := make(chan struct{})
	acks := make(chan struct{}, 2*maxInFlight)
	go func() { // the page sends only acks; reading also notices it leaving
		defer close(gone)
		for {
			typ, data, err := v.conn.ReadMessage()
			if err != nil {
				return
			}
			if typ == websocket.TextMessage && bytes.Equal(data, ackMsg) {
				select {
				case acks <- struct{}{}:
				default: // more acks than frames: ignore the excess
				}
			}
		}
	}()
	if !v.send(websocket.TextMessage, readyMsg) {
		return
	}
	var lastSeq, lastEnded uint64
	inFlight := 0
	lastEnded = v.feed.ended.Load()
	v.wake() // a frame may already be waiting
	for {
		select {
		case <-gone:
			return
		case reason := <-v.endC:
			closeWith(v.conn, websocket.CloseNormalClosure, reason)
			return
		case <-acks:
			if inFlight > 0 {
				inFlight--
			}
		case <-v.wakeC:
		}
		if e := v.feed.ended.Load(); e != lastEnded {
			lastEnded = e
			if !v.send(websocket.TextMessage, endedMsg) {
				return
			}
		}
		if v.ack && inFlight >= maxInFlight {
			continue // the next ack looks at the newest frame again
		}
		fr := v.feed.latest.Load()
		if fr == nil || fr.seq <= lastSeq {
			continue
		}
		msg, err := fr.encoded(v.format)
		if err != nil {
			continue
		}
		if lastSeq != 0 && fr.seq > lastSeq+1 {
			v.feed.dropped.Add(fr.seq - lastSeq - 1)
		}
		lastSeq = fr.seq
		if !v.send(websocket.BinaryMessage, msg) {
			return
		}
		v.feed.sent.Add(1)
		if v.ack {
			inFlight++
		}
	}
}

func (v *viewer) send(typ int, msg []byte) bool {
	_ = v.conn.SetWriteDeadline(time.Now().Add(v.stall))
	return v.conn.WriteMessage(typ, msg) == nil
}

func closeWith(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = conn.Close()
}

func (b *Bridge) track(c *websocket.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || len(b.conns) >= maxConns {
		return false
	}
	b.conns[c] = struct{}{}
	b.wg.Add(1)
	return true
}

func (b *Bridge) untrack(c *websocket.Conn) {
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
	_ = c.Close()
	b.wg.Done()
}

func (b *Bridge) attach(v *viewer, k key) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	v.feed = b.feedLocked(k)
	v.feed.addViewer(v)
	return true
}

func (b *Bridge) detach(v *viewer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v.feed.removeViewer(v)
	b.forgetLocked(v.feed)
}
