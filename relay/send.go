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
// a burst of sealed sends costs one read, not one per envelope. A changed
// token takes effect within tokenCacheTTL.
type tokenCache struct {
	mu sync.Mutex
	m  map[api.Addr]cachedToken
}

type cachedToken struct {
	hash    []byte
	fetched time.Time
}

const (
	tokenCacheTTL = 10 * time.Second
	tokenCacheMax = 100_000
)

func (s *Server) deliveryTokenHash(ctx context.Context, to api.Addr) ([]byte, error) {
	now := s.cfg.Now()
	s.tokens.mu.Lock()
	c, ok := s.tokens.m[to]
	s.tokens.mu.Unlock()
	if ok && now.Sub(c.fetched) < tokenCacheTTL {
		return c.hash, nil
	}
	d, err := s.st.Device(ctx, to)
	if err != nil {
		return nil, err
	}
	s.tokens.mu.Lock()
	if s.tokens.m == nil || len(s.tokens.m) >= tokenCacheMax {
		s.tokens.m = map[api.Addr]cachedToken{}
	}
	s.tokens.m[to] = cachedToken{hash: d.DeliveryTokenHash, fetched: now}
	s.tokens.mu.Unlock()
	return d.DeliveryTokenHash, nil
}

// send admits and durably stores one envelope. A sealed envelope needs the
// recipient's delivery token and records no sender; without a token the
// sender must be an authenticated device (first contact) and is recorded.
// It returns only after the envelope's commit.
func (s *Server) send(ctx context.Context, to api.Addr, token []byte, sender *api.Addr, body []byte) (api.SendResponse, error) {
	if len(body) == 0 {
		return api.SendResponse{}, api.Errorf(api.CodeBadRequest, "empty envelope")
	}
	if len(body) > api.MaxEnvelope {
		return api.SendResponse{}, api.Errorf(api.CodeTooLarge, "envelope over %d bytes", api.MaxEnvelope)
	}
	if token != nil {
		if len(token) != api.DeliveryTokenSize {
			return api.SendResponse{}, api.Errorf(api.CodeDeliveryDenied, "delivery token must be %d bytes", api.DeliveryTokenSize)
		}
		want, err := s.deliveryTokenHash(ctx, to)
		if errors.Is(err, store.ErrNotFound) {
			return api.SendResponse{}, api.Errorf(api.CodeNotFound, "unknown recipient")
		}
		if err != nil {
			return api.SendResponse{}, err
		}
		got := sha256.Sum256(token)
		if want == nil || subtle.ConstantTimeCompare(want, got[:]) != 1 {
			return api.SendResponse{}, api.Errorf(api.CodeDeliveryDenied, "wrong delivery token")
		}
		sender = nil
	} else if sender == nil {
		return api.SendResponse{}, api.Errorf(api.CodeDeliveryDenied, "a sealed envelope needs the recipient's delivery token")
	}
	now := s.cfg.Now()
	e := store.Envelope{To: to, ID: api.NewEnvelopeID(), Sender: sender, SentAt: now, Expires: now.Add(s.cfg.EnvelopeTTL), Body: body}
	seq, err := s.st.Enqueue(ctx, e)
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
