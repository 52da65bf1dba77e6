package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
)

// Signer signs relay challenges with the device key;
// *keys.DevicePrivateKey implements it.
type Signer interface {
	Sign(context string, msg []byte) []byte
}

// Client is one device's connection to one relay. Safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client

	mu      sync.Mutex
	signer  Signer
	addr    api.Addr
	token   string
	expires time.Time
	// onConnect runs after each connection Receive makes.
	onConnect func()
}

// OnConnect makes f run after each connection Receive makes (the first and
// every reconnect); f must not block.
func (c *Client) OnConnect(f func()) {
	c.mu.Lock()
	c.onConnect = f
	c.mu.Unlock()
}

// New returns a client for the relay at baseURL ("https://relay.example"
// or, for loopback tests, "http://127.0.0.1:PORT"). hc may be nil.
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: bad relay URL")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: u, hc: hc}, nil
}

// SetDevice sets the device this client authenticates as.
func (c *Client) SetDevice(addr api.Addr, s Signer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addr, c.signer, c.token = addr, s, ""
}

// BaseURL is the relay's address, as given to New.
func (c *Client) BaseURL() string { return c.base.String() }

// Addr is the device address set with SetDevice.
func (c *Client) Addr() api.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

func (c *Client) url(path string) string {
	u := *c.base
	path, query, _ := strings.Cut(path, "?")
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query
	return u.String()
}

// getRetries are the pauses before a failed GET is sent again.
var getRetries = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond}

// do performs one request; in (if not nil) is sent as JSON, or as raw bytes
// when it is []byte. out (if not nil) receives the JSON answer. Errors from
// the relay are *api.Error. An authenticated request the relay refuses for
// its token (expired by the relay's clock, or unknown to it after a restart
// with a new token key) is sent once more with a fresh token.
func (c *Client) do(ctx context.Context, method, path string, auth bool, hdr http.Header, in, out any) error {
	err := c.doOnce(ctx, method, path, auth, hdr, in, out)
	if auth && (api.HasCode(err, api.CodeTokenExpired) || api.HasCode(err, api.CodeUnauthorized)) {
		c.forgetToken()
		err = c.doOnce(ctx, method, path, auth, hdr, in, out)
	}
	return err
}

// forgetToken drops the cached token so the next request authenticates.
func (c *Client) forgetToken() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = ""
}

func (c *Client) doOnce(ctx context.Context, method, path string, auth bool, hdr http.Header, in, out any) error {
	var body io.Reader
	ctype := ""
	switch v := in.(type) {
	case nil:
	case []byte:
		body, ctype = bytes.NewReader(v), "application/octet-stream"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("client: encode request: %w", err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), body)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if auth {
		tok, err := c.Token(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(req)
	// A GET changes nothing at the relay: when the connection breaks
	// (EOF, reset) ask again, twice, before giving up.
	for _, wait := range getRetries {
		if err == nil || method != http.MethodGet || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		resp, err = c.hc.Do(req.Clone(ctx))
	}
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e api.Error
		if err := api.DecodeJSON(resp.Body, 64<<10, &e); err != nil || e.Code == "" {
			return fmt.Errorf("client: %s %s: HTTP %d", method, path, resp.StatusCode)
		}
		e.Status = resp.StatusCode
		return &e
	}
	switch o := out.(type) {
	case nil:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	case *[]byte:
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
		if err != nil {
			return fmt.Errorf("client: read response: %w", err)
		}
		*o = b
		return nil
	default:
		dec := json.NewDecoder(io.LimitReader(resp.Body, 16<<20))
		if err := dec.Decode(out); err != nil {
			return fmt.Errorf("client: decode response: %w", err)
		}
		return nil
	}
}

// Health calls /healthz.
func (c *Client) Health(ctx context.Context) (api.Health, error) {
	var h api.Health
	return h, c.do(ctx, http.MethodGet, api.PathHealth, false, nil, nil, &h)
}

// Registration is what Register uploads; see api.RegisterRequest.
type Registration struct {
	Handle            handle.Handle
	IdentityKey       []byte
	DeviceCertificate []byte
	Prekeys           [][]byte
	DeliveryToken     []byte
	// Progress, if set, is called before each proof-of-work attempt with the
	// attempts made so far and the expected number (2^bits): enough for a
	// progress bar and a time estimate.
	Progress func(tries, expected uint64)
}

// Register fetches a challenge, solves its proof of work (bounded by ctx)
// and registers. The device to authenticate as must be set separately.
func (c *Client) Register(ctx context.Context, r Registration) (api.RegisterResponse, error) {
	var ch api.RegisterChallenge
	if err := c.do(ctx, http.MethodPost, api.PathRegisterChallenge, false, nil, struct{}{}, &ch); err != nil {
		return api.RegisterResponse{}, err
	}
	if err := ch.Pow.Validate(); err != nil {
		return api.RegisterResponse{}, fmt.Errorf("client: relay asks for %w", err)
	}
	var tries uint64
	expected := uint64(1) << ch.Pow.Bits
	nonce, ok := api.SolvePow(ch.Pow, ch.Challenge, r.Handle.Hash(), func() bool {
		if r.Progress != nil {
			r.Progress(tries, expected)
		}
		tries++
		return ctx.Err() != nil
	})
	if !ok {
		return api.RegisterResponse{}, ctx.Err()
	}
	req := api.RegisterRequest{Handle: r.Handle.String(), Challenge: ch.Challenge, Nonce: nonce, IdentityKey: r.IdentityKey,
		DeviceCertificate: r.DeviceCertificate, Prekeys: r.Prekeys, DeliveryToken: r.DeliveryToken}
	var out api.RegisterResponse
	return out, c.do(ctx, http.MethodPost, api.PathRegister, false, nil, req, &out)
}

// Authenticate signs a fresh challenge and stores the token.
func (c *Client) Authenticate(ctx context.Context) error {
	c.mu.Lock()
	addr, signer := c.addr, c.signer
	c.mu.Unlock()
	if signer == nil {
		return errors.New("client: no device set")
	}
	var ch api.AuthChallenge
	if err := c.do(ctx, http.MethodPost, api.PathAuthChallenge, false, nil, api.AuthChallengeRequest{Device: addr}, &ch); err != nil {
		return err
	}
	sig := signer.Sign(api.AuthContext, api.AuthMessage(ch.Challenge, addr))
	var tok api.AuthToken
	if err := c.do(ctx, http.MethodPost, api.PathAuthToken, false, nil, api.AuthTokenRequest{Device: addr, Challenge: ch.Challenge, Signature: sig}, &tok); err != nil {
		return err
	}
	c.mu.Lock()
	c.token, c.expires = tok.Token, tok.Expires
	c.mu.Unlock()
	return nil
}

// Token returns a valid bearer token, authenticating when the current one
// is missing or expires within a minute.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok, exp := c.token, c.expires
	c.mu.Unlock()
	if tok != "" && time.Until(exp) > time.Minute {
		return tok, nil
	}
	if err := c.Authenticate(ctx); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token, nil
}

// Lookup fetches h's identity key and a prekey bundle per device.
func (c *Client) Lookup(ctx context.Context, h handle.Handle) (api.LookupResponse, error) {
	var out api.LookupResponse
	return out, c.do(ctx, http.MethodGet, api.PathHandles+h.Hash().String(), true, nil, nil, &out)
}

// UploadPrekeys uploads crypto/keys SignedPrekey encodings.
func (c *Client) UploadPrekeys(ctx context.Context, prekeys [][]byte) error {
	return c.do(ctx, http.MethodPut, api.PathPrekeys, true, nil, api.PrekeyUpload{Prekeys: prekeys}, nil)
}

// PrekeyCount reports how many one-time prekeys the relay still holds.
func (c *Client) PrekeyCount(ctx context.Context) (api.PrekeyCount, error) {
	var out api.PrekeyCount
	return out, c.do(ctx, http.MethodGet, api.PathPrekeyCount, true, nil, nil, &out)
}

// SetDeliveryToken sets the token contacts must present to send sealed
// envelopes to this device.
func (c *Client) SetDeliveryToken(ctx context.Context, token []byte) error {
	return c.do(ctx, http.MethodPut, api.PathDeliveryToken, true, nil, api.DeliveryTokenRequest{Token: token}, nil)
}

// SenderCertificate fetches a fresh relay-signed sender certificate.
func (c *Client) SenderCertificate(ctx context.Context) (api.SenderCertificate, error) {
	var out api.SenderCertificate
	return out, c.do(ctx, http.MethodGet, api.PathSenderCertificate, true, nil, nil, &out)
}

// RelayKey fetches the relay's public signing key (pin it).
func (c *Client) RelayKey(ctx context.Context) ([]byte, error) {
	var out api.RelayKey
	return out.PublicKey, c.do(ctx, http.MethodGet, api.PathRelayKey, false, nil, nil, &out)
}

// TURN fetches short-lived TURN credentials.
func (c *Client) TURN(ctx context.Context) (api.TURNCredentials, error) {
	var out api.TURNCredentials
	return out, c.do(ctx, http.MethodGet, api.PathTURN, true, nil, nil, &out)
}

// Upload stores an (already encrypted) attachment and returns its id.
func (c *Client) Upload(ctx context.Context, data []byte) (api.AttachmentResponse, error) {
	var out api.AttachmentResponse
	return out, c.do(ctx, http.MethodPost, api.PathAttachments, true, nil, data, &out)
}

// Download fetches an attachment.
func (c *Client) Download(ctx context.Context, id string) ([]byte, error) {
	if _, err := api.ParseBlobID(id); err != nil {
		return nil, err
	}
	var out []byte
	return out, c.do(ctx, http.MethodGet, api.PathAttachments+"/"+id, true, nil, nil, &out)
}

// SendSealed sends an envelope admitted by the recipient's delivery token,
// over HTTP without authenticating (the relay does not learn the sender).
func (c *Client) SendSealed(ctx context.Context, to api.Addr, token, body []byte) (api.SendResponse, error) {
	var out api.SendResponse
	h := http.Header{}
	h.Set(api.HeaderDeliveryToken, base64.StdEncoding.EncodeToString(token))
	return out, c.do(ctx, http.MethodPost, api.PathMessages+to.String(), false, h, body, &out)
}

// SendFirstContact sends an authenticated envelope (the relay records this
// device as the sender), for recipients whose delivery token is unknown.
func (c *Client) SendFirstContact(ctx context.Context, to api.Addr, body []byte) (api.SendResponse, error) {
	var out api.SendResponse
	return out, c.do(ctx, http.MethodPost, api.PathMessages+to.String(), true, nil, body, &out)
}

// CloseIdle closes idle keep-alive HTTP connections to the relay.
func (c *Client) CloseIdle() { c.hc.CloseIdleConnections() }

// Availability asks whether a handle can still be claimed (sending its hash
// and skeleton hash, not the handle).
func (c *Client) Availability(ctx context.Context, h handle.Handle) (api.Availability, error) {
	var out api.Availability
	q := url.Values{"handle": {h.Hash().String()}, "skeleton": {h.SkeletonHash().String()}}
	err := c.do(ctx, http.MethodGet, api.PathAvailability+"?"+q.Encode(), false, nil, nil, &out)
	return out, err
}
