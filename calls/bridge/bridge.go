package bridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Path is where the bridge accepts WebSocket connections.
const Path = "/video"

const (
	helloTimeout = 2 * time.Second
	// defaultStallTimeout drops a page that has not taken one frame for this long.
	defaultStallTimeout = 5 * time.Second
	// maxConns bounds open connections (the UI needs two per call).
	maxConns = 32
)

// Config says where the bridge listens and which pages may connect.
type Config struct {
	// Addr is host:port; the host must be 127.0.0.1 ("" means 127.0.0.1:0, a free port).
	Addr string
	// Origins are allowed besides AppOrigins, such as the dev server's
	// (http://localhost:34115); exact matches only.
	Origins []string
	// StallTimeout drops a page that takes no frame for this long; it
	// reconnects when it recovers (0 means 5 s).
	StallTimeout time.Duration
	// Logf, if set, receives one line per refused or dropped connection
	// (never the token).
	Logf func(format string, args ...any)
}

// Endpoint is what the UI needs to connect: the URL has no secret in it.
type Endpoint struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// Bridge is a running media bridge; Start makes one per app launch.
type Bridge struct {
	token   Token
	origins origins
	host    string // 127.0.0.1:port, checked against the Host header
	ln      net.Listener
	srv     *http.Server
	logf    func(string, ...any)
	stall   time.Duration

	seq     atomic.Uint64
	mu      sync.Mutex
	closed  bool
	streams map[key]*feed
	conns   map[*websocket.Conn]struct{}
	wg      sync.WaitGroup
}

// Start listens on cfg.Addr (loopback only) with a fresh token.
func Start(cfg Config) (*Bridge, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("media bridge: listen on %s: %w", addr, err)
	}
	b := &Bridge{
		token:   newToken(),
		origins: newOrigins(cfg.Origins),
		host:    ln.Addr().String(),
		ln:      ln,
		logf:    cfg.Logf,
		streams: map[key]*feed{},
		conns:   map[*websocket.Conn]struct{}{},
	}
	if b.stall = cfg.StallTimeout; b.stall <= 0 {
		b.stall = defaultStallTimeout
	}
	if b.logf == nil {
		b.logf = func(string, ...any) {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc(Path, b.serveWS)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: helloTimeout, ErrorLog: nil}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

// checkLoopback accepts only host 127.0.0.1: not "localhost" (a name can
// resolve anywhere), not 0.0.0.0, not ::1 (pages use the v4 address).
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("media bridge address %q: %w", addr, err)
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("%w: asked for %q", ErrNotLoopback, host)
	}
	return nil
}

// Endpoint is the URL and the token to hand the UI.
func (b *Bridge) Endpoint() Endpoint {
	return Endpoint{URL: "ws://" + b.host + Path, Token: b.token.Reveal()}
}

// Addr is the address the bridge listens on.
func (b *Bridge) Addr() net.Addr { return b.ln.Addr() }

// Close stops the server and drops every connection.
func (b *Bridge) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	for c := range b.conns {
		_ = c.Close()
	}
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	b.wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("close media bridge: %w", err)
	}
	return nil
}

// EndCall closes every page watching call and forgets its streams.
func (b *Bridge) EndCall(call string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, st := range b.streams {
		if k.call != call {
			continue
		}
		for _, v := range st.viewers() {
			v.end("call ended")
		}
		st.closed.Store(true)
		delete(b.streams, k)
	}
}

// Sink is where the calls code writes a stream's frames (a media.VideoSink).
// Frames written while no page watches are dropped at once.
func (b *Bridge) Sink(call string, s Stream) *Sink {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.feedLocked(key{call, s})
	st.sinks++
	return &Sink{b: b, st: st}
}

// Stats reports a stream's counters (zero when there is no such stream).
func (b *Bridge) Stats(call string, s Stream) StreamStats {
	b.mu.Lock()
	st := b.streams[key{call, s}]
	b.mu.Unlock()
	if st == nil {
		return StreamStats{}
	}
	return st.stats()
}

// feedLocked finds or makes a stream's feed; b.mu is held.
func (b *Bridge) feedLocked(k key) *feed {
	st := b.streams[k]
	if st == nil {
		st = &feed{key: k}
		b.streams[k] = st
	}
	return st
}

// forgetLocked drops a stream nobody writes or watches; b.mu is held.
func (b *Bridge) forgetLocked(st *feed) {
	if st.sinks == 0 && len(st.viewers()) == 0 && b.streams[st.key] == st {
		delete(b.streams, st.key)
	}
}
