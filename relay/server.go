package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// Version is reported by /healthz and `sotto-relay version`; set at link
// time with -ldflags "-X github.com/sotto-im/sotto/relay.Version=…".
var Version = "dev"

// Server is one relay node. It serves the HTTP API and WebSockets; it
// holds live connections and wakes them when the store reports new
// envelopes for their device.
type Server struct {
	cfg      Config
	st       store.Store
	log      *slog.Logger
	mux      *http.ServeMux
	relayKey *keys.RelayPrivateKey
	tokenKey []byte
	reserved map[handle.Hash]bool // skeleton hashes of reserved handles
	kt       *ktLog

	lim struct {
		register, availability, auth, lookupDev, lookupTarget, sendDev, sendIP, prekeys, turn, blobs *limiter
	}

	hub     hub
	metrics metrics
	tokens  tokenCache
	workers *workers // deliveries, flushes and ack loops

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds a server on cfg.Store: it loads (or creates, on first start)
// the relay's signing and token keys from the store, so every node on one
// store shares them, and subscribes to wake-ups for this node.
func New(cfg Config) (*Server, error) {
	cfg.defaults()
	if cfg.Store == nil {
		return nil, errors.New("relay: no store")
	}
	if err := cfg.Pow.Validate(); err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	if cfg.NodeID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.NodeID = hex.EncodeToString(b[:])
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, st: cfg.Store, log: cfg.Logger, ctx: ctx, cancel: cancel}
	s.workers = newWorkers(maxIdleWorkers, ctx.Done())
	random32 := func() []byte {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return b
	}
	seed, err := s.st.RelaySecret(ctx, "relay-signing-key-v1", random32)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("relay: load signing key: %w", err)
	}
	if s.relayKey, err = keys.NewRelayPrivateKey(seed); err != nil {
		cancel()
		return nil, fmt.Errorf("relay: signing key: %w", err)
	}
	if s.tokenKey, err = s.st.RelaySecret(ctx, "token-mac-key-v1", random32); err != nil {
		cancel()
		return nil, fmt.Errorf("relay: load token key: %w", err)
	}
	if s.kt, err = newKTLog(ctx, s.st, cfg.KT, cfg.Now); err != nil {
		cancel()
		return nil, fmt.Errorf("relay: transparency log: %w", err)
	}
	s.reserved = map[handle.Hash]bool{}
	for _, r := range append(append([]string{}, DefaultReservedHandles...), cfg.ReservedHandles...) {
		h, err := handle.Parse(r)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("relay: reserved handle %d: %w", len(s.reserved)+1, err)
		}
		s.reserved[h.SkeletonHash()] = true
	}
	l := cfg.Limits
	s.lim.register = newLimiter(l.RegisterPerIP)
	s.lim.availability = newLimiter(l.AvailabilityPerIP)
	s.lim.auth = newLimiter(l.AuthPerIP)
	s.lim.lookupDev = newLimiter(l.LookupPerDevice)
	s.lim.lookupTarget = newLimiter(l.LookupPerTarget)
	s.lim.sendDev = newLimiter(l.SendPerDevice)
	s.lim.sendIP = newLimiter(l.SendPerIP)
	s.lim.prekeys = newLimiter(l.PrekeysPerDev)
	s.lim.turn = newLimiter(l.TURNPerDevice)
	s.lim.blobs = newLimiter(l.BlobsPerDevice)
	s.hub.init()
	s.routes()

	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		s.kt.run(ctx, s.log)
	}()
	go func() {
		defer s.wg.Done()
		if err := s.st.Subscribe(ctx, cfg.NodeID, s.hub.wake); err != nil && ctx.Err() == nil {
			s.log.Error("wake-up subscription ended", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.housekeeping()
	}()
	return s, nil
}

// RelayPublicKey is the key sender certificates are signed with.
func (s *Server) RelayPublicKey() keys.RelayPublicKey { return s.relayKey.Public() }

// Handler is the HTTP API.
func (s *Server) Handler() http.Handler { return s }

// maxIdleWorkers bounds the goroutines kept waiting for delivery jobs:
// enough for the bursts one group commit wakes on a few cores.
const maxIdleWorkers = 64

// Close closes every WebSocket and stops background work. It does not
// close the store.
func (s *Server) Close() {
	s.cancel()
	s.hub.closeAll()
	s.wg.Wait()
}

// HTTPServer returns an http.Server for h with the relay's timeouts
// (slowloris: header, body and idle limits; WebSockets reset their own
// deadlines after the upgrade).
func HTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

func (s *Server) housekeeping() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		now := s.cfg.Now()
		if n, err := s.st.Expire(s.ctx, now); err != nil {
			s.log.Warn("expiry failed", "err", err)
		} else if n > 0 {
			s.metrics.expired.Add(n)
			s.log.Info("expired envelopes", "count", n)
		}
		for _, l := range []*limiter{s.lim.register, s.lim.availability, s.lim.auth, s.lim.lookupDev, s.lim.lookupTarget, s.lim.sendDev, s.lim.sendIP, s.lim.prekeys, s.lim.turn, s.lim.blobs} {
			l.sweep(now)
		}
	}
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET "+api.PathHealth, s.handleHealth)
	m.HandleFunc("POST "+api.PathRegisterChallenge, s.handleRegisterChallenge)
	m.HandleFunc("POST "+api.PathRegister, s.handleRegister)
	m.HandleFunc("POST "+api.PathAuthChallenge, s.handleAuthChallenge)
	m.HandleFunc("POST "+api.PathAuthToken, s.handleAuthToken)
	m.HandleFunc("GET "+api.PathHandles+"{hash}", s.authed(s.handleLookup))
	m.HandleFunc("GET "+api.PathAvailability, s.handleAvailability)
	m.HandleFunc("PUT "+api.PathPrekeys, s.authed(s.handlePrekeys))
	m.HandleFunc("GET "+api.PathPrekeyCount, s.authed(s.handlePrekeyCount))
	m.HandleFunc("PUT "+api.PathDeliveryToken, s.authed(s.handleDeliveryToken))
	m.HandleFunc("POST "+api.PathMessages+"{device}", s.handleSend)
	m.HandleFunc("GET "+api.PathWebSocket, s.handleWebSocket)
	m.HandleFunc("GET "+api.PathSenderCertificate, s.authed(s.handleSenderCertificate))
	m.HandleFunc("GET "+api.PathRelayKey, s.handleRelayKey)
	m.HandleFunc("GET "+api.PathTURN, s.authed(s.handleTURN))
	m.HandleFunc("POST "+api.PathAttachments, s.authed(s.handleUpload))
	m.HandleFunc("GET "+api.PathAttachments+"/{id}", s.authed(s.handleDownload))
	m.HandleFunc("GET "+api.PathKTKeys, s.handleKTKeys)
	m.HandleFunc("GET "+api.PathKTHead, s.handleKTHead)
	m.HandleFunc("GET "+api.PathKTConsistency, s.handleKTConsistency)
	m.HandleFunc("GET "+api.PathKTBindings+"{hash}", s.authed(s.handleKTBinding))
	m.HandleFunc("GET "+api.PathKTEntries, s.handleKTEntries)
	m.HandleFunc("GET "+api.PathKTRange, s.handleKTRange)
	m.HandleFunc("POST "+api.PathKTCosign, s.handleKTCosign)
	s.mux = m
}

// ServeHTTP dispatches to the API, answering unknown paths and versions
// and any panic with a typed error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
			s.writeError(w, api.Errorf(api.CodeInternal, "internal error"))
		}
	}()
	s.metrics.requests.Add(1)
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/v1/"):
			// Known version: tell 404 from 405 as the mux does.
			rec := &statusRecorder{}
			h.ServeHTTP(rec, r)
			if rec.status == http.StatusMethodNotAllowed {
				s.writeError(w, api.Errorf(api.CodeMethodNotAllowed, "method %s not allowed here", r.Method))
				return
			}
			s.writeError(w, api.Errorf(api.CodeNotFound, "no such endpoint"))
		case len(p) > 2 && p[1] == 'v' && strings.IndexByte(p[2:], '/') > 0:
			s.writeError(w, api.Errorf(api.CodeUnknownVersion, "unsupported API version; this relay speaks %s", api.Version))
		default:
			s.writeError(w, api.Errorf(api.CodeNotFound, "no such endpoint"))
		}
		return
	}
	s.mux.ServeHTTP(w, r) // sets the path values Handler does not
}

type statusRecorder struct {
	status int
	h      http.Header
}

func (r *statusRecorder) Header() http.Header {
	if r.h == nil {
		r.h = http.Header{}
	}
	return r.h
}
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(s int)           { r.status = s }

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, e *api.Error) {
	s.metrics.countError(e.Code)
	if e.Code == api.CodeRateLimited && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.RetryAfter))
	}
	if e.Status == 0 {
		e.Status = api.StatusOf(e.Code)
	}
	s.writeJSON(w, e.Status, e)
}

// fail maps an error from a handler step to a typed API error: *api.Error
// passes through; anything else is logged (never with user data) and
// answered as internal/unavailable.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *api.Error
	if errors.As(err, &e) {
		s.writeError(w, e)
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		s.writeError(w, api.Errorf(api.CodeUnavailable, "request cancelled or timed out"))
		return
	}
	s.log.Error("request failed", "path", r.Pattern, "err", err)
	s.writeError(w, api.Errorf(api.CodeInternal, "internal error"))
}

func rateLimited(wait time.Duration) *api.Error {
	e := api.Errorf(api.CodeRateLimited, "rate limited; retry later")
	e.RetryAfter = int(wait/time.Second) + 1
	return e
}

func (s *Server) limit(l *limiter, key string) error {
	if ok, wait := l.allow(key, s.cfg.Now()); !ok {
		s.metrics.rateLimited.Add(1)
		return rateLimited(wait)
	}
	return nil
}

// clientIP is the peer's IP (the relay does not trust forwarding headers;
// run it without a proxy or extend this deliberately).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		s.writeError(w, api.Errorf(api.CodeUnavailable, "store unreachable"))
		return
	}
	s.writeJSON(w, http.StatusOK, api.Health{Status: "ok", Version: Version})
}

func (s *Server) handleRelayKey(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, api.RelayKey{PublicKey: s.relayKey.Public().Bytes()})
}

// counter is a small helper for metrics.
type counter = atomic.Int64
