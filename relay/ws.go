package relay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/internal/wsio"
	"github.com/sotto-im/sotto/relay/store"
)

// Buffers are small and the write buffer is pooled, so an idle connection
// holds little more than its socket, a reader goroutine and this struct.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  512,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
	// Clients are native apps authenticating with bearer tokens, not
	// browsers with ambient cookies, so the origin carries no authority.
	CheckOrigin: func(*http.Request) bool { return true },
}

// fetchBatch is how many envelopes one store read delivers.
const fetchBatch = 128

// maxBadFrames closes a connection after this many garbage frames.
const maxBadFrames = 16

// hub indexes this node's live connections by device.
type hub struct {
	mu    sync.RWMutex
	conns map[api.Addr]*conn // authenticated, by device
	all   map[*conn]struct{} // every open connection, for closeAll
	perIP map[string]int
	total atomic.Int64
}

func (h *hub) init() {
	h.conns = map[api.Addr]*conn{}
	h.all = map[*conn]struct{}{}
	h.perIP = map[string]int{}
}

func (h *hub) track(c *conn) {
	h.mu.Lock()
	h.all[c] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) untrack(c *conn) {
	h.mu.Lock()
	delete(h.all, c)
	h.mu.Unlock()
}

// admit counts a new connection from ip against the caps.
func (h *hub) admit(ip string, l Limits) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if l.MaxConns > 0 && h.total.Load() >= int64(l.MaxConns) {
		return false
	}
	if l.MaxConnsPerIP > 0 && h.perIP[ip] >= l.MaxConnsPerIP {
		return false
	}
	h.perIP[ip]++
	h.total.Add(1)
	return true
}

func (h *hub) release(ip string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perIP[ip]--; h.perIP[ip] <= 0 {
		delete(h.perIP, ip)
	}
	h.total.Add(-1)
}

// attach makes c the connection of its device and returns the one it
// replaces (a device has one live connection).
func (h *hub) attach(c *conn) *conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.conns[c.dev]
	h.conns[c.dev] = c
	return old
}

// detach removes c if it is still the device's connection.
func (h *hub) detach(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns[c.dev] == c {
		delete(h.conns, c.dev)
		return true
	}
	return false
}

// wake starts delivery on a's connection; the zero Addr wakes every
// connection (after a store lost notifications).
func (h *hub) wake(a api.Addr, e *store.Envelope) {
	if a == (api.Addr{}) {
		h.mu.RLock()
		cs := make([]*conn, 0, len(h.conns))
		for _, c := range h.conns {
			cs = append(cs, c)
		}
		h.mu.RUnlock()
		for _, c := range cs {
			c.wake(nil)
		}
		return
	}
	h.mu.RLock()
	c := h.conns[a]
	h.mu.RUnlock()
	if c != nil {
		c.wake(e)
	}
}

func (h *hub) closeAll() {
	h.mu.RLock()
	cs := make([]*conn, 0, len(h.all))
	for c := range h.all {
		cs = append(cs, c)
	}
	h.mu.RUnlock()
	for _, c := range cs {
		c.close()
	}
}

// conn is one WebSocket. Authenticated connections receive their device's
// queue; any connection may send. The reader goroutine lives as long as
// the socket; the delivery goroutine runs only while there is something
// to push.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	dev    api.Addr
	authed bool
	ip     string

	wmu sync.Mutex // one writer at a time

	mu        sync.Mutex
	running   bool   // delivery goroutine active
	pending   bool   // woken while delivering: fetch again
	lastSent  uint64 // highest seq written to the socket
	ackTarget uint64 // highest seq the client acked
	acked     uint64 // highest seq deleted in the store
	acking    bool
	closed    bool
	// queued holds envelopes handed over by the store after their commit,
	// contiguous after lastSent, so delivery needs no read; needFetch says
	// the queue is incomplete and delivery must read the store.
	queued    []store.Envelope
	needFetch bool

	// outq holds frames (send results) waiting for the flusher, which
	// writes whatever has accumulated as one message: results of one group
	// commit leave in one write.
	outq     [][]byte
	flushing bool

	sendTokens float64 // per-connection send bucket (anonymous sends)
	sendLast   time.Time
	inflight   chan struct{}
}

func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var dev api.Addr
	authed := false
	if tok, present := bearer(r); present {
		d, e := s.checkToken(tok)
		if e != nil {
			s.writeError(w, e)
			return
		}
		dev, authed = d, true
	}
	var after uint64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || !authed {
			s.writeError(w, api.Errorf(api.CodeBadRequest, "after must be a sequence number on an authenticated connection"))
			return
		}
		after = n
	}
	if authed && after > 0 {
		last, err := s.st.LastSeq(ctx, dev)
		if errors.Is(err, store.ErrNotFound) {
			s.writeError(w, api.Errorf(api.CodeUnauthorized, "device no longer registered"))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if after > last {
			s.writeError(w, api.Errorf(api.CodeUnknownSequence, "after is beyond the last sequence assigned"))
			return
		}
	}
	ip := clientIP(r)
	if !s.hub.admit(ip, s.cfg.Limits) {
		s.writeError(w, api.Errorf(api.CodeTooManyConnections, "connection limit reached"))
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.hub.release(ip) // Upgrade has answered the client
		return
	}
	c := &conn{s: s, ws: ws, dev: dev, authed: authed, ip: ip, lastSent: after, ackTarget: after, acked: after,
		sendTokens: float64(s.cfg.Limits.SendPerConn.Burst), sendLast: s.cfg.Now(),
		inflight: make(chan struct{}, s.cfg.Limits.MaxInflightPerConn)}
	s.metrics.connects.Add(1)
	s.hub.track(c)
	ws.SetReadLimit(api.MaxMessage)
	// Clear the HTTP server's deadlines; the WebSocket keeps its own.
	_ = ws.NetConn().SetWriteDeadline(time.Time{})
	_ = ws.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
	ws.SetPingHandler(func(data string) error {
		_ = ws.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(s.cfg.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	if authed {
		if old := s.hub.attach(c); old != nil {
			old.close()
		}
		if err := s.st.SetPresence(s.ctx, dev, s.cfg.NodeID, true); err != nil {
			s.log.Warn("presence not recorded", "err", err)
		}
		if after > 0 {
			if err := s.st.Ack(s.ctx, dev, after); err != nil {
				s.log.Warn("resume ack failed", "err", err)
			}
		}
		c.wake(nil)
	}
	// Serve the socket on a fresh goroutine and let the HTTP handler
	// return: the request, its headers and the server's per-connection
	// state become garbage, and the reader's stack starts small. That is
	// most of an idle connection's memory.
	go c.serve()
}

func (c *conn) serve() {
	defer func() {
		c.close()
		if c.authed && c.s.hub.detach(c) {
			if err := c.s.st.SetPresence(context.Background(), c.dev, c.s.cfg.NodeID, false); err != nil {
				c.s.log.Warn("presence not cleared", "err", err)
			}
		}
		c.s.hub.untrack(c)
		c.s.hub.release(c.ip)
	}()
	defer func() {
		// A bug handling one connection's input must not end the process.
		if v := recover(); v != nil {
			c.s.log.Error("websocket panic", "panic", fmt.Sprint(v))
		}
	}()
	c.readLoop()
}

func (c *conn) close() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if !already {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = c.ws.Close()
	}
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	return c.ws.WriteMessage(websocket.BinaryMessage, b)
}

func (c *conn) writeError(req uint32, e *api.Error) {
	c.s.metrics.countError(e.Code)
	_ = c.write(api.AppendError(nil, req, e))
}

// queue adds a frame for the flusher, starting it if needed.
func (c *conn) queue(frame []byte) {
	c.mu.Lock()
	c.outq = append(c.outq, frame)
	start := !c.flushing
	c.flushing = true
	c.mu.Unlock()
	if start {
		c.s.workers.run(c.flush)
	}
}

func (c *conn) flush() {
	for {
		c.mu.Lock()
		q := c.outq
		c.outq = nil
		if len(q) == 0 || c.closed {
			c.flushing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for len(q) > 0 {
			var msg []byte
			msg, q = api.NextMessage(q)
			err := c.write(msg)
			if err != nil {
				c.close()
			}
		}
	}
}

// maxQueued bounds the envelopes a connection holds in memory.
const maxQueued = 256

// wake starts delivery, or asks the running delivery to look again. e, when
// not nil, is the committed envelope that caused the wake-up.
func (c *conn) wake(e *store.Envelope) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if e != nil && !c.needFetch && len(c.queued) < maxQueued {
		next := c.lastSent + 1
		if n := len(c.queued); n > 0 {
			next = c.queued[n-1].Seq + 1
		}
		if e.Seq == next {
			c.queued = append(c.queued, *e)
		} else if e.Seq > next {
			c.needFetch = true
		}
	} else {
		c.needFetch = true
	}
	if c.running {
		c.pending = true
		c.mu.Unlock()
		return
	}
	c.running = true
	c.mu.Unlock()
	c.s.workers.run(c.deliver)
}

// next returns what to push next: queued envelopes when they continue
// from lastSent, else nil and fetch=true.
func (c *conn) next() (envs []store.Envelope, from uint64, fetch, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = false
	from, closed = c.lastSent, c.closed
	for len(c.queued) > 0 && c.queued[0].Seq <= c.lastSent {
		c.queued = c.queued[1:]
	}
	if !c.needFetch && len(c.queued) > 0 && c.queued[0].Seq == c.lastSent+1 {
		envs = c.queued
		c.queued = nil
		return envs, from, false, closed
	}
	fetch = c.needFetch || len(c.queued) > 0
	c.needFetch = false
	c.queued = nil
	return nil, from, fetch, closed
}

// deliver pushes queued envelopes in sequence order until the queue is
// empty and nobody woke it meanwhile. What it has in hand leaves in as few
// messages as the batch limits allow: one write, one read on the client
// and one ack for a device's share of a group commit.
func (c *conn) deliver() {
	bp, _ := pushBuffers.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer func() {
		if cap(*bp) <= maxKeptPushBuffer {
			pushBuffers.Put(bp)
		}
	}()
	for {
		envs, from, fetch, closed := c.next()
		if closed {
			c.stopDelivery()
			return
		}
		if fetch {
			var err error
			envs, err = c.s.st.Fetch(c.s.ctx, c.dev, from, fetchBatch, c.s.cfg.Now())
			if err != nil {
				c.s.log.Warn("fetch failed; closing connection", "err", err)
				c.stopDelivery()
				c.close()
				return
			}
		}
		for rest := envs; len(rest) > 0; {
			var n int
			*bp, n = appendPush((*bp)[:0], rest)
			// Recorded before the write: the client may ack these before
			// this goroutine runs again, and an ack above lastSent is
			// refused (and lost). A failed write closes the connection.
			c.mu.Lock()
			c.lastSent = rest[n-1].Seq
			c.mu.Unlock()
			if err := c.write(*bp); err != nil {
				c.stopDelivery()
				c.close()
				return
			}
			c.s.metrics.pushed.Add(int64(n))
			rest = rest[n:]
		}
		if fetch && len(envs) == fetchBatch {
			c.mu.Lock()
			c.needFetch = true
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		if !c.pending && !c.needFetch && len(c.queued) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// pushBuffers hold the messages deliver builds; one larger than
// maxKeptPushBuffer (a backlog of big envelopes) is not kept.
var pushBuffers sync.Pool

const maxKeptPushBuffer = 64 << 10

// appendPush appends one WebSocket message pushing envs[:n] to b: a lone
// Envelope frame, or a Batch of as many as fit its limits. n ≥ 1.
func appendPush(b []byte, envs []store.Envelope) ([]byte, int) {
	e := &envs[0]
	if len(envs) == 1 || envelopeFrameSize(e)+envelopeFrameSize(&envs[1])+10 > api.MaxMessage {
		return api.AppendEnvelope(b, e.Seq, e.ID, e.SentAt.UnixMilli(), e.Sender, e.Body), 1
	}
	b = append(b, api.FrameVersion, byte(api.FrameBatch))
	n, size := 0, 2
	for n < len(envs) && n < api.MaxBatchFrames {
		e := &envs[n]
		fs := envelopeFrameSize(e)
		if size+4+fs > api.MaxMessage {
			break
		}
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		b = api.AppendEnvelope(b, e.Seq, e.ID, e.SentAt.UnixMilli(), e.Sender, e.Body)
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
		size += 4 + fs
		n++
	}
	return b, n
}

// envelopeFrameSize is the length of e's Envelope frame.
func envelopeFrameSize(e *store.Envelope) int {
	n := 2 + 8 + 16 + 8 + 1 + len(e.Body)
	if e.Sender != nil {
		n += 16
	}
	return n
}

func (c *conn) stopDelivery() {
	c.mu.Lock()
	c.running = false
	c.mu.Unlock()
}

func (c *conn) readLoop() {
	bad := 0
	one := make([][]byte, 1)
	// The idle deadline moves with each message, but re-arming the
	// socket's timer costs more than reading a small frame: it is moved
	// only once a small part of the timeout has passed.
	idle := c.s.cfg.IdleTimeout
	armed := time.Now()
	for {
		mt, b, err := wsio.ReadMessage(c.ws)
		if err != nil {
			return
		}
		if now := time.Now(); now.Sub(armed) > idle/64 {
			_ = c.ws.SetReadDeadline(now.Add(idle))
			armed = now
		}
		frames := one
		frames[0] = b
		var e *api.Error
		if mt != websocket.BinaryMessage {
			e = api.Errorf(api.CodeBadRequest, "frames are binary")
		} else if api.IsBatch(b) {
			if frames, err = api.SplitBatch(b); err != nil {
				e = api.Errorf(api.CodeBadRequest, "%v", err)
			}
		}
		if e != nil {
			c.writeError(0, e)
			if bad++; bad >= maxBadFrames {
				return
			}
			continue
		}
		for _, fb := range frames {
			var req uint32
			if f, err := api.DecodeFrame(fb); err != nil {
				e = api.Errorf(api.CodeBadRequest, "%v", err)
			} else {
				req = f.Req
				e = c.handle(f)
			}
			if e != nil {
				c.writeError(req, e)
				if e.Code == api.CodeBadRequest {
					if bad++; bad >= maxBadFrames {
						return
					}
				}
			}
		}
	}
}

func (c *conn) handle(f api.Frame) *api.Error {
	switch f.Type {
	case api.FrameAck:
		if !c.authed {
			return api.Errorf(api.CodeUnauthorized, "acks need an authenticated connection")
		}
		return c.ack(f.Seq)
	case api.FrameSend:
		return c.sendFrame(f)
	default:
		return api.Errorf(api.CodeBadRequest, "clients may not send %s frames", f.Type)
	}
}

// ack records that the client has everything ≤ seq; the store deletes
// them in the background (acks are cumulative, so they coalesce).
func (c *conn) ack(seq uint64) *api.Error {
	c.mu.Lock()
	if seq == 0 || seq > c.lastSent {
		c.mu.Unlock()
		return api.Errorf(api.CodeUnknownSequence, "sequence %d was not delivered on this connection", seq)
	}
	if seq <= c.ackTarget {
		c.mu.Unlock()
		return nil
	}
	c.ackTarget = seq
	start := !c.acking
	c.acking = true
	c.mu.Unlock()
	c.s.metrics.acks.Add(1)
	if start {
		c.storeAck(seq)
	}
	return nil
}

// storeAck deletes up to target in the store, without a goroutine when
// the store reports commits to a callback; acks arriving meanwhile are
// taken up after it.
func (c *conn) storeAck(target uint64) {
	aw, ok := c.s.st.(store.AsyncWriter)
	if !ok {
		c.s.workers.run(c.ackLoop)
		return
	}
	aw.AckAsync(c.s.ctx, c.dev, target, func(err error) {
		c.mu.Lock()
		if err != nil {
			c.acking = false
			c.mu.Unlock()
			c.s.log.Warn("ack failed", "err", err)
			return
		}
		c.acked = max(c.acked, target)
		more := c.ackTarget > c.acked
		if !more {
			c.acking = false
		}
		c.mu.Unlock()
		if more {
			// Not from here: this runs on the store's writer, which must
			// not wait for its own queue.
			c.s.workers.run(c.ackLoop)
		}
	})
}

func (c *conn) ackLoop() {
	for {
		c.mu.Lock()
		target := c.ackTarget
		if target <= c.acked {
			c.acking = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if err := c.s.st.Ack(c.s.ctx, c.dev, target); err != nil {
			c.s.log.Warn("ack failed", "err", err)
			c.mu.Lock()
			c.acking = false
			c.mu.Unlock()
			return
		}
		c.mu.Lock()
		c.acked = target
		c.mu.Unlock()
	}
}

// allowSend takes a token from the connection's own bucket (anonymous
// connections have no device to key a shared bucket on).
func (c *conn) allowSend() bool {
	r := c.s.cfg.Limits.SendPerConn
	if r.Burst <= 0 || r.Every <= 0 {
		return true
	}
	now := c.s.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sendTokens += float64(now.Sub(c.sendLast)) / float64(r.Every)
	c.sendLast = now
	if c.sendTokens > float64(r.Burst) {
		c.sendTokens = float64(r.Burst)
	}
	if c.sendTokens < 1 {
		return false
	}
	c.sendTokens--
	return true
}

func (c *conn) sendFrame(f api.Frame) *api.Error {
	var sender *api.Addr
	if f.DeliveryToken == nil {
		if !c.authed {
			return api.Errorf(api.CodeDeliveryDenied, "a sealed envelope needs the recipient's delivery token")
		}
		if ok, wait := c.s.lim.sendDev.allow(string(c.dev[:]), c.s.cfg.Now()); !ok {
			c.s.metrics.rateLimited.Add(1)
			return rateLimited(wait)
		}
		d := c.dev
		sender = &d
	} else if !c.allowSend() {
		c.s.metrics.rateLimited.Add(1)
		return rateLimited(time.Second)
	}
	// wsio.ReadMessage returns a fresh buffer per message, so the body and
	// token (which alias it, also inside a batch) may be kept after reading
	// on.
	req := f.Req
	c.inflight <- struct{}{} // backpressure: stop reading while full
	c.s.sendAsync(c.s.ctx, f.Recipient, f.DeliveryToken, sender, f.Body, func(res api.SendResponse, err error) {
		<-c.inflight
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) {
				c.s.log.Warn("send failed", "err", err)
				e = api.Errorf(api.CodeInternal, "internal error")
			}
			c.s.metrics.countError(e.Code)
			c.queue(api.AppendError(nil, req, e))
			return
		}
		c.queue(api.AppendSendResult(make([]byte, 0, 30), req, res.Seq, res.ID))
	})
	return nil
}
