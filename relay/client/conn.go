package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/internal/wsio"
)

// Envelope is one received envelope.
type Envelope struct {
	Seq    uint64
	ID     api.EnvelopeID
	SentAt time.Time
	Sender *api.Addr // set only for authenticated first contact
	Body   []byte
}

// ErrConnClosed is returned for operations on a closed Conn.
var ErrConnClosed = errors.New("client: connection closed")

// Conn is one WebSocket to the relay. An authenticated Conn receives the
// device's envelopes on Envelopes(); any Conn can send, pipelined.
type Conn struct {
	ws  *websocket.Conn
	wmu sync.Mutex

	mu      sync.Mutex
	nextReq uint32
	pending map[uint32]chan sendResult
	err     error
	// outq holds send frames for the flusher, which writes what has
	// accumulated as one message; ackSeq is the highest sequence acked and
	// not yet written (acks are cumulative, so a burst of them leaves as
	// one ack frame).
	outq     [][]byte
	ackSeq   uint64
	flushing bool
	// ackDelay is how long an ack may wait for later ones; ackTimer
	// writes it then (ackArmed: the timer is set).
	ackDelay time.Duration
	ackTimer *time.Timer
	ackArmed bool

	envelopes chan Envelope
	errs      chan *api.Error
	done      chan struct{}
}

type sendResult struct {
	res api.SendResponse
	err error
}

// DialOptions configure Dial.
type DialOptions struct {
	// Authenticated connects as the client's device (to receive); false
	// opens an anonymous connection for sealed sends.
	Authenticated bool
	// After resumes after this sequence: the relay deletes everything up to
	// it and pushes the rest.
	After uint64
	// PingInterval keeps the connection alive (default 30 s; negative: off).
	PingInterval time.Duration
	// Buffer is the capacity of the envelope channel (default 256).
	Buffer int
	// AckDelay is how long an ack may wait before it is written, so that
	// the acks of envelopes arriving meanwhile leave with it as one
	// (acks are cumulative): default DefaultAckDelay; negative: every
	// ack is written at once. An ack also leaves early with any send, and
	// Close writes the one waiting.
	AckDelay time.Duration
	// LocalIP, when set, is the source address of the connection (hosts
	// with several addresses; tests spreading many connections over
	// 127.0.0.x).
	LocalIP net.IP
}

// The write buffer holds a whole batch of pipelined sends in the usual
// case (the client masks and writes one buffer per WebSocket frame); it is
// pooled, so a connection holds it only while writing.
var dialer = websocket.Dialer{HandshakeTimeout: 15 * time.Second, ReadBufferSize: 4096,
	WriteBufferSize: 64 << 10, WriteBufferPool: &sync.Pool{}}

// Dial opens a WebSocket to the relay.
func (c *Client) Dial(ctx context.Context, o DialOptions) (*Conn, error) {
	u := *c.base
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = api.PathWebSocket
	if o.After > 0 {
		u.RawQuery = "after=" + strconv.FormatUint(o.After, 10)
	}
	h := http.Header{}
	if o.Authenticated {
		tok, err := c.Token(ctx)
		if err != nil {
			return nil, err
		}
		h.Set("Authorization", "Bearer "+tok)
	}
	d := dialer
	nd := &net.Dialer{Timeout: 15 * time.Second}
	if o.LocalIP != nil {
		nd.LocalAddr = &net.TCPAddr{IP: o.LocalIP}
	}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := nd.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return wsio.LazyWriteDeadline(c), nil
	}
	ws, resp, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		if resp != nil && resp.StatusCode >= 300 {
			var e api.Error
			if api.DecodeJSON(resp.Body, 64<<10, &e) == nil && e.Code != "" {
				e.Status = resp.StatusCode
				return nil, &e
			}
		}
		return nil, fmt.Errorf("client: dial: %w", err)
	}
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	if o.AckDelay == 0 {
		o.AckDelay = DefaultAckDelay
	}
	cn := &Conn{ws: ws, ackDelay: o.AckDelay, pending: map[uint32]chan sendResult{}, envelopes: make(chan Envelope, o.Buffer),
		errs: make(chan *api.Error, 16), done: make(chan struct{})}
	ws.SetReadLimit(api.MaxMessage)
	go cn.readLoop()
	if o.PingInterval == 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.PingInterval > 0 {
		go cn.pingLoop(o.PingInterval)
	}
	return cn, nil
}

// Envelopes delivers received envelopes in sequence order; it is closed
// when the connection ends.
func (cn *Conn) Envelopes() <-chan Envelope { return cn.envelopes }

// Errors reports errors the relay sent that belong to no send (for example
// an ack of an unknown sequence). Unread errors beyond 16 are dropped.
func (cn *Conn) Errors() <-chan *api.Error { return cn.errs }

// Done is closed when the connection has ended; Err then says why.
func (cn *Conn) Done() <-chan struct{} { return cn.done }

// Err is the reason the connection ended (nil while open).
func (cn *Conn) Err() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

// writeTimeout bounds one message's write.
const writeTimeout = 15 * time.Second

func (cn *Conn) write(b []byte) error {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	_ = cn.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return cn.ws.WriteMessage(websocket.BinaryMessage, b)
}

// writeNext writes the frames off the front of q that fit one message and
// returns the rest.
func (cn *Conn) writeNext(q [][]byte) ([][]byte, error) {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	_ = cn.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return wsio.WriteNext(cn.ws, q)
}

// WriteRaw sends b as one binary frame unchanged (tests: garbage frames).
func (cn *Conn) WriteRaw(b []byte) error { return cn.write(b) }

// DefaultAckDelay is how long an ack waits for later ones by default. A
// device receiving a steady stream then writes one ack for several
// envelopes: each ack is a write, a read and a store operation on the
// relay. An ack that never reaches the relay (the connection drops) only
// means redelivery, which Receive skips.
const DefaultAckDelay = 100 * time.Millisecond

// Ack acknowledges everything up to seq. The ack is written within the
// connection's AckDelay; acks not yet written when a higher one arrives
// are replaced by it (the relay's acks are cumulative).
func (cn *Conn) Ack(seq uint64) error {
	if cn.ackDelay < 0 {
		return cn.addWork(func() { cn.ackSeq = max(cn.ackSeq, seq) })
	}
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.err != nil {
		return ErrConnClosed
	}
	cn.ackSeq = max(cn.ackSeq, seq)
	if !cn.ackArmed {
		cn.ackArmed = true
		if cn.ackTimer == nil {
			cn.ackTimer = time.AfterFunc(cn.ackDelay, cn.ackDue)
		} else {
			cn.ackTimer.Reset(cn.ackDelay)
		}
	}
	return nil
}

// ackDue writes the waiting ack (unless a flush took it along already).
func (cn *Conn) ackDue() {
	_ = cn.addWork(func() { cn.ackArmed = false })
}

// queue adds a frame for the flusher.
func (cn *Conn) queue(frame []byte) error {
	return cn.addWork(func() { cn.outq = append(cn.outq, frame) })
}

// addWork runs add under the lock and starts the flusher if it is idle.
func (cn *Conn) addWork(add func()) error {
	cn.mu.Lock()
	if cn.err != nil {
		cn.mu.Unlock()
		return ErrConnClosed
	}
	add()
	start := !cn.flushing
	cn.flushing = true
	cn.mu.Unlock()
	if start {
		cn.kick()
	}
	return nil
}

// kick writes what is queued: one round on the caller's goroutine (the
// usual burst, so no goroutine is started for it), and only if more
// arrived meanwhile, the rest on a goroutine of its own, so no caller is
// kept writing for others indefinitely.
func (cn *Conn) kick() {
	// Let the goroutines that are ready to run first add their frames:
	// the Sends one batch of results woke, the acks of one batch of
	// envelopes. They then leave in one message instead of one each.
	runtime.Gosched()
	if cn.flushRound() {
		go cn.flush()
	}
}

func (cn *Conn) flush() {
	for cn.flushRound() {
	}
}

// flushRound writes what has accumulated as few messages as the batch
// limits allow. It reports whether more arrived while it wrote; when it
// returns false, flushing is over (or the connection failed).
func (cn *Conn) flushRound() bool {
	cn.mu.Lock()
	q := cn.takeWork()
	if len(q) == 0 || cn.err != nil {
		cn.flushing = false
		cn.mu.Unlock()
		return false
	}
	cn.mu.Unlock()
	for len(q) > 0 {
		var err error
		if q, err = cn.writeNext(q); err != nil {
			cn.ws.Close() // the read loop ends and fails pending sends
			cn.mu.Lock()
			cn.flushing = false
			cn.mu.Unlock()
			return false
		}
	}
	cn.mu.Lock()
	more := (len(cn.outq) > 0 || cn.ackSeq != 0) && cn.err == nil
	if !more {
		cn.flushing = false
	}
	cn.mu.Unlock()
	return more
}

// takeWork returns the queued frames and the pending ack as one queue
// and empties both. cn.mu is held.
func (cn *Conn) takeWork() [][]byte {
	q := cn.outq
	cn.outq = nil
	if cn.ackSeq != 0 {
		q = append(q, api.AppendAck(make([]byte, 0, 10), cn.ackSeq))
		cn.ackSeq = 0
	}
	return q
}

// Send sends one envelope and waits for the relay's durable acknowledgement.
// token nil means authenticated first contact (needs an authenticated Conn).
// Many Sends may be in flight at once.
func (cn *Conn) Send(ctx context.Context, to api.Addr, token, body []byte) (api.SendResponse, error) {
	ch := make(chan sendResult, 1)
	cn.mu.Lock()
	if cn.err != nil {
		cn.mu.Unlock()
		return api.SendResponse{}, ErrConnClosed
	}
	cn.nextReq++
	if cn.nextReq == 0 {
		cn.nextReq = 1
	}
	req := cn.nextReq
	cn.pending[req] = ch
	cn.mu.Unlock()
	if len(body) > api.MaxEnvelope {
		cn.mu.Lock()
		delete(cn.pending, req)
		cn.mu.Unlock()
		return api.SendResponse{}, api.Errorf(api.CodeTooLarge, "envelope over %d bytes", api.MaxEnvelope)
	}
	if err := cn.queue(api.AppendSend(make([]byte, 0, 64+len(body)), req, to, token, body)); err != nil {
		cn.mu.Lock()
		delete(cn.pending, req)
		cn.mu.Unlock()
		return api.SendResponse{}, fmt.Errorf("client: send: %w", err)
	}
	select {
	case r := <-ch:
		return r.res, r.err
	case <-ctx.Done():
		cn.mu.Lock()
		delete(cn.pending, req)
		cn.mu.Unlock()
		return api.SendResponse{}, ctx.Err()
	}
}

func (cn *Conn) readLoop() {
	var err error
	defer func() {
		cn.mu.Lock()
		if cn.err == nil {
			cn.err = err
			if cn.err == nil {
				cn.err = ErrConnClosed
			}
		}
		for _, ch := range cn.pending {
			ch <- sendResult{err: ErrConnClosed}
		}
		cn.pending = map[uint32]chan sendResult{}
		cn.mu.Unlock()
		close(cn.envelopes)
		close(cn.done)
		cn.ws.Close()
	}()
	one := make([][]byte, 1)
	for {
		var b []byte
		_, b, err = wsio.ReadMessage(cn.ws)
		if err != nil {
			return
		}
		frames := one
		frames[0] = b
		if api.IsBatch(b) {
			var berr error
			if frames, berr = api.SplitBatch(b); berr != nil {
				err = fmt.Errorf("client: relay sent a bad batch: %w", berr)
				return
			}
		}
		if err = cn.handle(frames); err != nil {
			return
		}
	}
}

func (cn *Conn) handle(frames [][]byte) error {
	for _, b := range frames {
		f, ferr := api.DecodeFrame(b)
		if ferr != nil {
			return fmt.Errorf("client: relay sent a bad frame: %w", ferr)
		}
		switch f.Type {
		case api.FrameEnvelope:
			cn.envelopes <- Envelope{Seq: f.Seq, ID: f.ID, SentAt: time.UnixMilli(f.SentAtMillis), Sender: f.Sender, Body: f.Body}
		case api.FrameSendResult:
			cn.answer(f.Req, sendResult{res: api.SendResponse{ID: f.ID, Seq: f.Seq}})
		case api.FrameError:
			if f.Req == 0 || !cn.answer(f.Req, sendResult{err: f.Err}) {
				select {
				case cn.errs <- f.Err:
				default:
				}
			}
		}
	}
	return nil
}

func (cn *Conn) answer(req uint32, r sendResult) bool {
	cn.mu.Lock()
	ch, ok := cn.pending[req]
	delete(cn.pending, req)
	cn.mu.Unlock()
	if ok {
		ch <- r
	}
	return ok
}

func (cn *Conn) pingLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-cn.done:
			return
		case <-t.C:
			if cn.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)) != nil {
				cn.ws.Close()
				return
			}
		}
	}
}

// Close closes the connection.
func (cn *Conn) Close() error {
	cn.mu.Lock()
	seq := cn.ackSeq
	cn.ackSeq = 0
	if cn.ackTimer != nil {
		cn.ackTimer.Stop()
	}
	cn.mu.Unlock()
	if seq != 0 {
		_ = cn.write(api.AppendAck(nil, seq)) // the ack still waiting
	}
	cn.wmu.Lock()
	_ = cn.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	cn.wmu.Unlock()
	err := cn.ws.Close()
	<-cn.done
	return err
}

// Handler processes one envelope; returning nil acks it. An error stops
// acking: the connection is dropped and the envelope is redelivered.
type Handler func(ctx context.Context, e Envelope) error

// Backoff bounds the reconnect delay: full jitter over an exponentially
// growing window from Min to Max.
type Backoff struct {
	Min, Max time.Duration
}

func (b Backoff) delay(attempt int) time.Duration {
	if b.Min <= 0 {
		b.Min = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	d := b.Min << min(attempt, 20)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	return d/2 + rand.N(d/2+1)
}

// Receive runs until ctx ends: it connects as the device, hands every new
// envelope to h in order, acks it, and on any disconnect reconnects with
// jittered backoff, resuming after the last acked sequence. Envelopes at or
// below the last acked sequence (redelivered because an ack was lost) are
// skipped. It returns the last acked sequence with ctx's error, or earlier
// with an error the relay will not change its mind about (the device is
// unknown, the resume point is beyond the queue).
func (c *Client) Receive(ctx context.Context, after uint64, b Backoff, h Handler) (uint64, error) {
	lastAcked := after
	attempt := 0
	for {
		cn, err := c.Dial(ctx, DialOptions{Authenticated: true, After: lastAcked})
		if err != nil {
			if api.HasCode(err, api.CodeUnknownSequence) || api.HasCode(err, api.CodeBadSignature) {
				return lastAcked, err
			}
			if api.HasCode(err, api.CodeUnauthorized) || api.HasCode(err, api.CodeTokenExpired) {
				c.mu.Lock()
				c.token = ""
				c.mu.Unlock()
			}
		} else {
			attempt = 0
			c.mu.Lock()
			connected := c.onConnect
			c.mu.Unlock()
			if connected != nil {
				connected()
			}
			lastAcked, err = c.receiveOn(ctx, cn, lastAcked, h)
			cn.Close()
			if err != nil {
				return lastAcked, err
			}
		}
		select {
		case <-ctx.Done():
			return lastAcked, ctx.Err()
		case <-time.After(b.delay(attempt)):
		}
		attempt++
	}
}

// receiveOn consumes one connection; a nil error means "reconnect".
func (c *Client) receiveOn(ctx context.Context, cn *Conn, lastAcked uint64, h Handler) (uint64, error) {
	for {
		select {
		case <-ctx.Done():
			return lastAcked, ctx.Err()
		case e, ok := <-cn.Envelopes():
			if !ok {
				return lastAcked, nil
			}
			if e.Seq <= lastAcked {
				continue
			}
			if err := h(ctx, e); err != nil {
				return lastAcked, nil
			}
			lastAcked = e.Seq
			if cn.Ack(e.Seq) != nil {
				return lastAcked, nil
			}
		}
	}
}
