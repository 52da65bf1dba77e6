package relay

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// tokenCache keeps recipients' delivery-token hashes for a few seconds so
// a burst of sealed sends costs one read, not one per envelope; concurrent
// misses for one recipient share that read, and when the store is a
// store.TokenReader, misses for many recipients share one query (entries
// filled together lapse together). A changed token takes effect within
// tokenCacheTTL.
type tokenCache struct {
	mu       sync.Mutex
	m        map[api.Addr]cachedToken
	fetching map[api.Addr]*tokenFetch
	queue    []api.Addr // misses waiting for the batch loader
	loading  bool       // the batch loader runs
}

type cachedToken struct {
	hash    []byte
	fetched time.Time
}

// tokenFetch is one read in progress; done is closed when hash and err
// are set.
type tokenFetch struct {
	done chan struct{}
	hash []byte
	err  error
}

const (
	tokenCacheTTL = 10 * time.Second
	tokenCacheMax = 100_000
	// tokenBatchMax bounds the recipients one batched read asks for.
	tokenBatchMax = 1024
)

// tokenCached reports whether deliveryTokenHash would answer from the
// cache.
func (s *Server) tokenCached(to api.Addr) bool {
	now := s.cfg.Now()
	s.tokens.mu.Lock()
	c, ok := s.tokens.m[to]
	s.tokens.mu.Unlock()
	return ok && now.Sub(c.fetched) < tokenCacheTTL
}

func (s *Server) deliveryTokenHash(ctx context.Context, to api.Addr) ([]byte, error) {
	now := s.cfg.Now()
	t := &s.tokens
	t.mu.Lock()
	if c, ok := t.m[to]; ok && now.Sub(c.fetched) < tokenCacheTTL {
		t.mu.Unlock()
		return c.hash, nil
	}
	f := t.fetching[to]
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		if t.fetching == nil {
			t.fetching = map[api.Addr]*tokenFetch{}
		}
		t.fetching[to] = f
		if _, batched := s.st.(store.TokenReader); batched {
			t.queue = append(t.queue, to)
			if !t.loading {
				t.loading = true
				s.workers.run(s.loadTokens)
			}
		} else {
			t.mu.Unlock()
			// The read is shared, so no one caller's context may cut it
			// short.
			d, err := s.st.Device(s.ctx, to)
			s.tokensFetched(now, []api.Addr{to}, func(api.Addr) ([]byte, error) { return d.DeliveryTokenHash, err })
			return f.hash, f.err
		}
	}
	t.mu.Unlock()
	select {
	case <-f.done:
		return f.hash, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// loadTokens reads the queued misses in batches until none are left; the
// misses arriving during one read make up the next.
func (s *Server) loadTokens() {
	tr := s.st.(store.TokenReader)
	t := &s.tokens
	for {
		t.mu.Lock()
		q := t.queue
		if len(q) > tokenBatchMax {
			q, t.queue = q[:tokenBatchMax:tokenBatchMax], q[tokenBatchMax:]
		} else {
			t.queue = nil
		}
		if len(q) == 0 {
			t.loading = false
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		now := s.cfg.Now()
		hashes, err := tr.DeliveryTokenHashes(s.ctx, q)
		s.tokensFetched(now, q, func(a api.Addr) ([]byte, error) {
			if err != nil {
				return nil, err
			}
			h, ok := hashes[a]
			if !ok {
				return nil, store.ErrNotFound
			}
			return h, nil
		})
	}
}

// tokensFetched answers the fetches of addrs with result and caches what
// was read at now.
func (s *Server) tokensFetched(now time.Time, addrs []api.Addr, result func(api.Addr) ([]byte, error)) {
	t := &s.tokens
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range addrs {
		f := t.fetching[a]
		delete(t.fetching, a)
		hash, err := result(a)
		if err == nil {
			if t.m == nil || len(t.m) >= tokenCacheMax {
				t.m = map[api.Addr]cachedToken{}
			}
			t.m[a] = cachedToken{hash: hash, fetched: now}
		}
		if f != nil {
			f.hash, f.err = hash, err
			close(f.done)
		}
	}
}

// send admits and durably stores one envelope. A sealed envelope needs the
// recipient's delivery token and records no sender; without a token the
// sender must be an authenticated device (first contact) and is recorded.
// It returns only after the envelope's commit.
func (s *Server) send(ctx context.Context, to api.Addr, token []byte, sender *api.Addr, body []byte) (api.SendResponse, error) {
	e, err := s.admit(ctx, to, token, sender, body)
	if err != nil {
		return api.SendResponse{}, err
	}
	seq, err := s.st.Enqueue(ctx, e)
	return s.stored(e, seq, err)
}

// sendAsync is send reporting to done instead of returning: the envelope
// is admitted on the caller's goroutine (on a new one when that needs a
// store read), and done is called after its commit — on the store's
// writer goroutine when the store is an AsyncWriter (so it must be quick),
// else on a goroutine of its own. Pipelined sends may be answered in any
// order.
func (s *Server) sendAsync(ctx context.Context, to api.Addr, token []byte, sender *api.Addr, body []byte, done func(api.SendResponse, error)) {
	if token != nil && !s.tokenCached(to) {
		// Admitting it reads the recipient's token from the store: not on
		// the caller's goroutine, which reads the sender's connection.
		go s.admitAndEnqueue(ctx, to, token, sender, body, done)
		return
	}
	s.admitAndEnqueue(ctx, to, token, sender, body, done)
}

func (s *Server) admitAndEnqueue(ctx context.Context, to api.Addr, token []byte, sender *api.Addr, body []byte, done func(api.SendResponse, error)) {
	e, err := s.admit(ctx, to, token, sender, body)
	if err != nil {
		done(api.SendResponse{}, err)
		return
	}
	if aw, ok := s.st.(store.AsyncWriter); ok {
		aw.EnqueueAsync(ctx, e, func(seq uint64, err error) { done(s.stored(e, seq, err)) })
		return
	}
	go func() {
		seq, err := s.st.Enqueue(ctx, e)
		done(s.stored(e, seq, err))
	}()
}

// admit checks a send and returns the envelope to store, with its id and
// times.
func (s *Server) admit(ctx context.Context, to api.Addr, token []byte, sender *api.Addr, body []byte) (store.Envelope, error) {
	if len(body) == 0 {
		return store.Envelope{}, api.Errorf(api.CodeBadRequest, "empty envelope")
	}
	if len(body) > api.MaxEnvelope {
		return store.Envelope{}, api.Errorf(api.CodeTooLarge, "envelope over %d bytes", api.MaxEnvelope)
	}
	if token != nil {
		if len(token) != api.DeliveryTokenSize {
			return store.Envelope{}, api.Errorf(api.CodeDeliveryDenied, "delivery token must be %d bytes", api.DeliveryTokenSize)
		}
		want, err := s.deliveryTokenHash(ctx, to)
		if errors.Is(err, store.ErrNotFound) {
			return store.Envelope{}, api.Errorf(api.CodeNotFound, "unknown recipient")
		}
		if err != nil {
			return store.Envelope{}, err
		}
		got := sha256.Sum256(token)
		if want == nil || subtle.ConstantTimeCompare(want, got[:]) != 1 {
			return store.Envelope{}, api.Errorf(api.CodeDeliveryDenied, "wrong delivery token")
		}
		sender = nil
	} else if sender == nil {
		return store.Envelope{}, api.Errorf(api.CodeDeliveryDenied, "a sealed envelope needs the recipient's delivery token")
	}
	now := s.cfg.Now()
	return store.Envelope{To: to, ID: api.NewEnvelopeID(), Sender: sender, SentAt: now, Expires: now.Add(s.cfg.EnvelopeTTL), Body: body}, nil
}

// stored turns the store's answer for e into the send's.
func (s *Server) stored(e store.Envelope, seq uint64, err error) (api.SendResponse, error) {
	if errors.Is(err, store.ErrNotFound) {
		return api.SendResponse{}, api.Errorf(api.CodeNotFound, "unknown recipient")
	}
	if err != nil {
		return api.SendResponse{}, err
	}
	s.metrics.sent.Add(1)
	return api.SendResponse{ID: e.ID, Seq: seq}, nil
}

// handleSend is POST /v1/messages/{device}: the raw body is the envelope.
// Sealed with Sotto-Delivery-Token, or authenticated first contact with a
// bearer token.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	to, err := api.ParseAddr(r.PathValue("device"))
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "device address must be 32 hex characters"))
		return
	}
	var token []byte
	var sender *api.Addr
	if t := r.Header.Get(api.HeaderDeliveryToken); t != "" {
		if token, err = base64.StdEncoding.DecodeString(t); err != nil || len(token) != api.DeliveryTokenSize {
			s.writeError(w, api.Errorf(api.CodeDeliveryDenied, "malformed delivery token"))
			return
		}
		if err := s.limit(s.lim.sendIP, clientIP(r)); err != nil {
			s.fail(w, r, err)
			return
		}
	} else if tok, ok := bearer(r); ok {
		dev, e := s.checkToken(tok)
		if e != nil {
			s.writeError(w, e)
			return
		}
		if err := s.limit(s.lim.sendDev, string(dev[:])); err != nil {
			s.fail(w, r, err)
			return
		}
		sender = &dev
	} else {
		s.writeError(w, api.Errorf(api.CodeDeliveryDenied, "needs a delivery token or a bearer token"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, api.MaxEnvelope+1))
	if err != nil {
		s.writeError(w, api.Errorf(api.CodeBadRequest, "reading body failed"))
		return
	}
	res, err := s.send(r.Context(), to, token, sender, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, res)
}
