package relay_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/relay/store"
)

// clock is a settable test clock.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

type env struct {
	url   string
	srv   *relay.Server
	st    store.Store
	clock *clock
	hs    *httptest.Server
}

func start(t *testing.T, b relaytest.Backend, mod func(*relay.Config)) *env {
	t.Helper()
	st := relaytest.Open(t, b.DSN(t))
	return startOn(t, st, mod)
}

func startOn(t *testing.T, st store.Store, mod func(*relay.Config)) *env {
	t.Helper()
	ck := &clock{}
	cfg := relay.Config{Store: st, Pow: relaytest.TestPow, Now: ck.now, Limits: relay.Limits{MaxConns: 1000, MaxConnsPerIP: 1000},
		KT: relay.KTConfig{Interval: 20 * time.Millisecond}}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = relay.Listener(hs.Listener) // as sotto-relay serves
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return &env{url: hs.URL, srv: srv, st: st, clock: ck, hs: hs}
}

func eachBackend(t *testing.T, f func(t *testing.T, b relaytest.Backend)) {
	for _, b := range relaytest.Backends() {
		t.Run(b.Name, func(t *testing.T) { f(t, b) })
	}
}

var bg = context.Background()

func wantCode(t *testing.T, err error, c api.Code) {
	t.Helper()
	if !api.HasCode(err, c) {
		t.Fatalf("got %v, want code %s", err, c)
	}
}

func rawRequest(t *testing.T, method, url string, body io.Reader) (int, api.Error) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e api.Error
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e
}

func TestHTTPErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		e := start(t, b, nil)
		c, _ := client.New(e.url, nil)
		if h, err := c.Health(bg); err != nil || h.Status != "ok" {
			t.Fatalf("healthz: %+v %v", h, err)
		}
		cases := []struct {
			method, path string
			body         io.Reader
			status       int
			code         api.Code
		}{
			{"GET", "/v2/register", nil, 404, api.CodeUnknownVersion},
			{"GET", "/v1/nothing", nil, 404, api.CodeNotFound},
			{"GET", "/v1/register", nil, 405, api.CodeMethodNotAllowed},
			{"POST", "/v1/register", strings.NewReader("{"), 400, api.CodeBadRequest},
			{"POST", "/v1/register", strings.NewReader(`{"unknown":1}`), 400, api.CodeBadRequest},
			{"POST", "/v1/register", strings.NewReader(`{"handle":"` + strings.Repeat("a", api.MaxJSONBody) + `"}`), 413, api.CodeTooLarge},
			{"POST", "/v1/auth/token", strings.NewReader(`{"device":"00"}`), 400, api.CodeBadRequest},
			{"GET", "/v1/prekeys/count", nil, 401, api.CodeUnauthorized},
			{"POST", "/v1/messages/zz", strings.NewReader("x"), 400, api.CodeBadRequest},
			{"POST", "/v1/messages/" + strings.Repeat("ab", 16), strings.NewReader("x"), 403, api.CodeDeliveryDenied},
		}
		for _, tc := range cases {
			st, apiErr := rawRequest(t, tc.method, e.url+tc.path, tc.body)
			if st != tc.status || apiErr.Code != tc.code || apiErr.Message == "" {
				t.Errorf("%s %s: %d %+v, want %d %s", tc.method, tc.path, st, apiErr, tc.status, tc.code)
			}
		}
	})
}

func TestRegistration(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		e := start(t, b, func(c *relay.Config) { c.ReservedHandles = []string{"boss"} })
		alice := relaytest.NewDevice(t, "alice", 2).Register(t, e.url)
		c, _ := client.New(e.url, nil)

		// A second claim, a look-alike, a reserved handle and its look-alike.
		for _, tc := range []struct {
			h    string
			code api.Code
		}{{"alice", api.CodeHandleTaken}, {"ALICE", api.CodeHandleTaken}, {"a1ice", api.CodeHandleConfusable},
			{"admin", api.CodeHandleReserved}, {"adm1n", api.CodeHandleReserved}, {"boss", api.CodeHandleReserved}} {
			d := relaytest.NewDevice(t, tc.h, 0)
			_, err := c.Register(bg, d.Registration())
			wantCode(t, err, tc.code)
		}
		// The same device key cannot register a second handle.
		again := alice.Registration()
		again.Handle = handle.MustParse("alice_two")
		_, err := c.Register(bg, again)
		wantCode(t, err, api.CodeDeviceExists)

		// A certificate for another identity, prekeys signed by another device.
		bob := relaytest.NewDevice(t, "bob", 0)
		r := bob.Registration()
		r.IdentityKey = alice.Identity.Public().Bytes()
		_, err = c.Register(bg, r)
		wantCode(t, err, api.CodeBadSignature)
		r = bob.Registration()
		r.Prekeys[0] = alice.Registration().Prekeys[0]
		_, err = c.Register(bg, r)
		wantCode(t, err, api.CodeBadSignature)
		r = bob.Registration()
		r.Prekeys = nil
		_, err = c.Register(bg, r)
		wantCode(t, err, api.CodeBadRequest)

		// Challenges: unknown, replayed; proof of work: wrong.
		post := func(req api.RegisterRequest) error {
			b, _ := json.Marshal(req)
			resp, err := http.Post(e.url+api.PathRegister, "application/json", bytes.NewReader(b))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			var ae api.Error
			_ = json.NewDecoder(resp.Body).Decode(&ae)
			return &ae
		}
		challenge := func() api.RegisterChallenge {
			var ch api.RegisterChallenge
			resp, err := http.Post(e.url+api.PathRegisterChallenge, "application/json", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			_ = json.NewDecoder(resp.Body).Decode(&ch)
			return ch
		}
		reg := func(ch []byte, nonce uint64) api.RegisterRequest {
			rr := bob.Registration()
			return api.RegisterRequest{Handle: "bob", Challenge: ch, Nonce: nonce, IdentityKey: rr.IdentityKey,
				DeviceCertificate: rr.DeviceCertificate, Prekeys: rr.Prekeys, DeliveryToken: rr.DeliveryToken}
		}
		wantCode(t, post(reg(make([]byte, 32), 0)), api.CodeChallengeInvalid)
		ch := challenge()
		bad := uint64(0)
		for api.PowOK(ch.Pow, ch.Challenge, bob.Handle.Hash(), bad) {
			bad++
		}
		wantCode(t, post(reg(ch.Challenge, bad)), api.CodePowInvalid)
		wantCode(t, post(reg(ch.Challenge, bad)), api.CodeChallengeInvalid) // consumed
		ch = challenge()
		n, _ := api.SolvePow(ch.Pow, ch.Challenge, bob.Handle.Hash(), nil)
		if err := post(reg(ch.Challenge, n)); err != nil {
			t.Fatalf("valid registration: %v", err)
		}
		wantCode(t, post(reg(ch.Challenge, n)), api.CodeChallengeInvalid) // replay
		// Expired challenge.
		ch = challenge()
		e.clock.advance(time.Hour)
		d := relaytest.NewDevice(t, "carol", 0)
		n, _ = api.SolvePow(ch.Pow, ch.Challenge, d.Handle.Hash(), nil)
		rr := d.Registration()
		wantCode(t, post(api.RegisterRequest{Handle: "carol", Challenge: ch.Challenge, Nonce: n, IdentityKey: rr.IdentityKey,
			DeviceCertificate: rr.DeviceCertificate, Prekeys: rr.Prekeys}), api.CodeChallengeInvalid)
	})
}

func TestAuth(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		e := start(t, b, nil)
		alice := relaytest.NewDevice(t, "alice", 0).Register(t, e.url)
		if _, err := alice.Client.PrekeyCount(bg); err != nil {
			t.Fatalf("authenticated call: %v", err)
		}
		// Wrong key: bob's device key signing for alice's address.
		bob := relaytest.NewDevice(t, "bob", 0)
		c, _ := client.New(e.url, nil)
		c.SetDevice(alice.Addr, bob.Key)
		wantCode(t, c.Authenticate(bg), api.CodeBadSignature)
		// Unknown device.
		c.SetDevice(bob.Addr, bob.Key)
		wantCode(t, c.Authenticate(bg), api.CodeBadSignature)

		// Replayed challenge: sign once, present twice.
		var ch api.AuthChallenge
		postJSON(t, e.url+api.PathAuthChallenge, api.AuthChallengeRequest{Device: alice.Addr}, &ch)
		req := api.AuthTokenRequest{Device: alice.Addr, Challenge: ch.Challenge, Signature: alice.Key.Sign(api.AuthContext, api.AuthMessage(ch.Challenge, alice.Addr))}
		var tok api.AuthToken
		if err := postJSON(t, e.url+api.PathAuthToken, req, &tok); err != nil {
			t.Fatal(err)
		}
		wantCode(t, postJSON(t, e.url+api.PathAuthToken, req, &tok), api.CodeChallengeInvalid)
		// A challenge issued for another device.
		postJSON(t, e.url+api.PathAuthChallenge, api.AuthChallengeRequest{Device: bob.Addr}, &ch)
		req = api.AuthTokenRequest{Device: alice.Addr, Challenge: ch.Challenge, Signature: alice.Key.Sign(api.AuthContext, api.AuthMessage(ch.Challenge, alice.Addr))}
		wantCode(t, postJSON(t, e.url+api.PathAuthToken, req, &tok), api.CodeChallengeInvalid)

		// Tampered and expired tokens.
		good, _ := alice.Client.Token(bg)
		for _, bad := range []string{"v1.xyz", good[:len(good)-2] + "AA", "garbage"} {
			st, ae := bearerGet(t, e.url+api.PathPrekeyCount, bad)
			if st != 401 || ae.Code != api.CodeUnauthorized {
				t.Errorf("token %q: %d %+v", bad, st, ae)
			}
		}
		e.clock.advance(16 * time.Minute)
		st, ae := bearerGet(t, e.url+api.PathPrekeyCount, good)
		if st != 401 || ae.Code != api.CodeTokenExpired {
			t.Fatalf("expired token: %d %+v", st, ae)
		}
		// The client's own clock still calls the token good: the relay's
		// refusal makes it authenticate again, and the request goes through.
		if _, err := alice.Client.PrekeyCount(bg); err != nil {
			t.Fatalf("request with a token the relay calls expired: %v", err)
		}
		if fresh, _ := alice.Client.Token(bg); fresh == good {
			t.Fatal("the client kept the expired token")
		}
	})
}

func postJSON(t *testing.T, url string, in, out any) error {
	t.Helper()
	b, _ := json.Marshal(in)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var ae api.Error
		_ = json.NewDecoder(resp.Body).Decode(&ae)
		return &ae
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func bearerGet(t *testing.T, url, tok string) (int, api.Error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ae api.Error
	_ = json.NewDecoder(resp.Body).Decode(&ae)
	return resp.StatusCode, ae
}

func TestLookupAndPrekeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		e := start(t, b, nil)
		alice := relaytest.NewDevice(t, "alice", 3).Register(t, e.url)
		bob := relaytest.NewDevice(t, "bob", 0).Register(t, e.url)
		if c, err := alice.Client.PrekeyCount(bg); err != nil || c.OneTime != 3 || c.OneTimePQ != 3 {
			t.Fatalf("count %+v %v", c, err)
		}
		seen := map[keys.PrekeyID]bool{}
		for i := range 5 {
			res, err := bob.Client.Lookup(bg, handle.MustParse("@Alice"))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Devices) != 1 || res.Devices[0].Device != alice.Addr || !bytes.Equal(res.IdentityKey, alice.Identity.Public().Bytes()) {
				t.Fatalf("lookup: %+v", res)
			}
			bu, err := keys.ParseBundle(res.Devices[0].Bundle)
			if err != nil {
				t.Fatal(err)
			}
			if err := bu.Verify(time.Now()); err != nil || !bu.Identity().Equal(alice.Identity.Public()) {
				t.Fatalf("bundle does not verify: %v", err)
			}
			if i < 3 {
				if bu.OneTimePrekey == nil || bu.OneTimePQ == nil {
					t.Fatalf("lookup %d: no one-time prekey", i)
				}
				for _, p := range []*keys.SignedPrekey{bu.OneTimePrekey, bu.OneTimePQ} {
					if seen[p.ID] {
						t.Fatalf("one-time prekey %d handed out twice", p.ID)
					}
					seen[p.ID] = true
				}
			} else if bu.OneTimePrekey != nil || bu.OneTimePQ != nil || bu.PQPrekey().Type != keys.PrekeyLastResortMLKEM {
				t.Fatalf("lookup %d: exhausted prekeys not falling back to last resort", i)
			}
		}
		if c, _ := alice.Client.PrekeyCount(bg); c.OneTime != 0 || c.OneTimePQ != 0 {
			t.Fatalf("count after exhaustion %+v", c)
		}
		// Refill; bad prekeys (signed by another device) change nothing.
		if err := alice.Client.UploadPrekeys(bg, [][]byte{alice.GenPrekey(t, keys.PrekeyOneTimeX25519), bob.GenPrekey(t, keys.PrekeyOneTimeX25519)}); !api.HasCode(err, api.CodeBadSignature) {
			t.Fatalf("foreign prekey accepted: %v", err)
		}
		if c, _ := alice.Client.PrekeyCount(bg); c.OneTime != 0 {
			t.Fatalf("partial upload stored: %+v", c)
		}
		if err := alice.Client.UploadPrekeys(bg, [][]byte{alice.GenPrekey(t, keys.PrekeyOneTimeX25519), alice.GenPrekey(t, keys.PrekeyOneTimeMLKEM)}); err != nil {
			t.Fatal(err)
		}
		if c, _ := alice.Client.PrekeyCount(bg); c.OneTime != 1 || c.OneTimePQ != 1 {
			t.Fatalf("count after refill %+v", c)
		}
		if err := alice.Client.UploadPrekeys(bg, [][]byte{[]byte("junk")}); !api.HasCode(err, api.CodeBadRequest) {
			t.Fatalf("junk prekey: %v", err)
		}
		_, err := bob.Client.Lookup(bg, handle.MustParse("nobody"))
		wantCode(t, err, api.CodeNotFound)
		st, ae := bearerGet(t, e.url+api.PathHandles+"xyz", mustToken(t, bob.Client))
		if st != 400 || ae.Code != api.CodeBadRequest {
			t.Fatalf("bad hash: %d %+v", st, ae)
		}
	})
}

func mustToken(t *testing.T, c *client.Client) string {
	tok, err := c.Token(bg)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLookupRateLimit(t *testing.T) {
	st := relaytest.Open(t, relaytest.Backends()[0].DSN(t))
	e := startOn(t, st, func(c *relay.Config) {
		c.Limits.LookupPerDevice = relay.PerWindow(4, time.Hour)
		c.Limits.LookupPerTarget = relay.PerWindow(5, time.Hour)
	})
	relaytest.NewDevice(t, "alice", 0).Register(t, e.url)
	bob := relaytest.NewDevice(t, "bob", 0).Register(t, e.url)
	carol := relaytest.NewDevice(t, "carol", 0).Register(t, e.url)
	for i := range 4 {
		if _, err := bob.Client.Lookup(bg, handle.MustParse("alice")); err != nil {
			t.Fatalf("lookup %d: %v", i, err)
		}
	}
	_, err := bob.Client.Lookup(bg, handle.MustParse("alice"))
	wantCode(t, err, api.CodeRateLimited)
	var ae *api.Error
	if errors.As(err, &ae); ae.RetryAfter < 1 || ae.Status != 429 {
		t.Fatalf("rate limit error %+v", ae)
	}
	// Per target: carol may look alice up once more, then alice is limited.
	for range 1 {
		if _, err := carol.Client.Lookup(bg, handle.MustParse("alice")); err != nil {
			t.Fatal(err)
		}
	}
	_, err = carol.Client.Lookup(bg, handle.MustParse("alice"))
	wantCode(t, err, api.CodeRateLimited)
	if _, err := carol.Client.Lookup(bg, handle.MustParse("bob")); err != nil {
		t.Fatalf("other target limited too: %v", err)
	}
}

func TestSendReceive(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		e := start(t, b, nil)
		alice := relaytest.NewDevice(t, "alice", 0).Register(t, e.url)
		bob := relaytest.NewDevice(t, "bob", 0).Register(t, e.url)
		anon, _ := client.New(e.url, nil)

		// Sealed over HTTP and over an anonymous WebSocket; first contact.
		r1, err := anon.SendSealed(bg, bob.Addr, bob.Token, []byte("env-1"))
		if err != nil || r1.Seq != 1 {
			t.Fatalf("sealed HTTP send: %+v %v", r1, err)
		}
		ws, err := anon.Dial(bg, client.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if r, err := ws.Send(bg, bob.Addr, bob.Token, []byte("env-2")); err != nil || r.Seq != 2 {
			t.Fatalf("sealed WS send: %+v %v", r, err)
		}
		if r, err := alice.Client.SendFirstContact(bg, bob.Addr, []byte("env-3")); err != nil || r.Seq != 3 {
			t.Fatalf("first contact: %+v %v", r, err)
		}
		// Refused: wrong token, no token on an anonymous connection, unknown
		// recipient, oversize and empty bodies.
		_, err = anon.SendSealed(bg, bob.Addr, alice.Token, []byte("x"))
		wantCode(t, err, api.CodeDeliveryDenied)
		_, err = ws.Send(bg, bob.Addr, nil, []byte("x"))
		wantCode(t, err, api.CodeDeliveryDenied)
		_, err = ws.Send(bg, api.Addr{1}, bob.Token, []byte("x"))
		wantCode(t, err, api.CodeNotFound)
		_, err = anon.SendSealed(bg, bob.Addr, bob.Token, make([]byte, api.MaxEnvelope+1))
		wantCode(t, err, api.CodeTooLarge)
		_, err = anon.SendSealed(bg, bob.Addr, bob.Token, nil)
		wantCode(t, err, api.CodeBadRequest)

		// Receive in order; ack the first two only.
		rc, err := bob.Client.Dial(bg, client.DialOptions{Authenticated: true})
		if err != nil {
			t.Fatal(err)
		}
		got := recv(t, rc, 3)
		for i, want := range []string{"env-1", "env-2", "env-3"} {
			if string(got[i].Body) != want || got[i].Seq != uint64(i+1) {
				t.Fatalf("envelope %d: %+v", i, got[i])
			}
		}
		if got[0].Sender != nil || got[2].Sender == nil || *got[2].Sender != alice.Addr {
			t.Fatalf("sender fields: %v %v", got[0].Sender, got[2].Sender)
		}
		// Acking a sequence never delivered is refused and changes nothing.
		if err := rc.Ack(99); err != nil {
			t.Fatal(err)
		}
		select {
		case ae := <-rc.Errors():
			if ae.Code != api.CodeUnknownSequence {
				t.Fatalf("ack 99: %+v", ae)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no error for unknown ack")
		}
		// Garbage frames get errors; the connection survives.
		_ = rc.WriteRaw([]byte{1, 99, 0})
		_ = rc.WriteRaw([]byte("hello"))
		for range 2 {
			select {
			case ae := <-rc.Errors():
				if ae.Code != api.CodeBadRequest {
					t.Fatalf("garbage: %+v", ae)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no error for garbage frame")
			}
		}
		if err := rc.Ack(2); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool {
			es, _ := e.st.Fetch(bg, bob.Addr, 0, 10, time.Now())
			return len(es) == 1
		})
		// Live push while connected.
		if _, err := anon.SendSealed(bg, bob.Addr, bob.Token, []byte("env-4")); err != nil {
			t.Fatal(err)
		}
		if g := recv(t, rc, 1); string(g[0].Body) != "env-4" || g[0].Seq != 4 {
			t.Fatalf("live push: %+v", g[0])
		}
		rc.Close()
		// Reconnect: the unacked ones come again, in order.
		rc, err = bob.Client.Dial(bg, client.DialOptions{Authenticated: true})
		if err != nil {
			t.Fatal(err)
		}
		if g := recv(t, rc, 2); g[0].Seq != 3 || g[1].Seq != 4 {
			t.Fatalf("redelivery: %d %d", g[0].Seq, g[1].Seq)
		}
		rc.Close()
		// Resume after 3: 3 is deleted, 4 comes.
		rc, err = bob.Client.Dial(bg, client.DialOptions{Authenticated: true, After: 3})
		if err != nil {
			t.Fatal(err)
		}
		if g := recv(t, rc, 1); g[0].Seq != 4 {
			t.Fatalf("resume: %d", g[0].Seq)
		}
		rc.Close()
		_, err = bob.Client.Dial(bg, client.DialOptions{Authenticated: true, After: 50})
		wantCode(t, err, api.CodeUnknownSequence)

		// TTL: after 31 days the envelope is neither delivered nor kept.
		e.clock.advance(31 * 24 * time.Hour)
		if es, _ := e.st.Fetch(bg, bob.Addr, 0, 10, e.clock.now()); len(es) != 0 {
			t.Fatalf("expired envelope still fetched: %d", len(es))
		}
		if n, err := e.st.Expire(bg, e.clock.now()); err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
	})
}

func recv(t *testing.T, c *client.Conn, n int) []client.Envelope {
	t.Helper()
	var out []client.Envelope
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case e, ok := <-c.Envelopes():
			if !ok {
				t.Fatalf("connection closed after %d envelopes: %v", len(out), c.Err())
			}
			out = append(out, e)
		case <-timeout:
			t.Fatalf("got %d of %d envelopes", len(out), n)
		}
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("condition not met in 5 s")
}

// TestReceiveReconnects drives client.Receive across relay restarts: every
// envelope is handled exactly once and in order.
func TestReceiveReconnects(t *testing.T) {
	st := relaytest.Open(t, relaytest.Backends()[0].DSN(t))
	e := startOn(t, st, nil)
	bob := relaytest.NewDevice(t, "bob", 0).Register(t, e.url)
	anon, _ := client.New(e.url, nil)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	var mu sync.Mutex
	var got []string
	var connects atomic.Int32
	bob.Client.OnConnect(func() { connects.Add(1) })
	done := make(chan uint64, 1)
	go func() {
		last, _ := bob.Client.Receive(ctx, 0, client.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}, func(_ context.Context, env client.Envelope) error {
			mu.Lock()
			got = append(got, string(env.Body))
			mu.Unlock()
			return nil
		})
		done <- last
	}()
	for i := range 20 {
		if _, err := anon.SendSealed(bg, bob.Addr, bob.Token, fmt.Appendf(nil, "m%02d", i)); err != nil {
			t.Fatal(err)
		}
		if i == 9 {
			// Drop every connection: the receiver reconnects and resumes.
			e.srv.Close()
			e.hs.Close()
			e2 := startOnURL(t, st, e)
			anon, _ = client.New(e2, nil)
		}
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 20 })
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for i, g := range got {
		if g != fmt.Sprintf("m%02d", i) {
			t.Fatalf("envelope %d is %q (all: %v)", i, g, got)
		}
	}
	if len(got) != 20 {
		t.Fatalf("%d envelopes handled", len(got))
	}
	if n := connects.Load(); n < 2 {
		t.Fatalf("OnConnect ran %d times over a reconnect", n)
	}
}

// startOnURL restarts a relay on the same store and listen address as e
// (the receiving client keeps its URL).
func startOnURL(t *testing.T, st store.Store, e *env) string {
	t.Helper()
	srv, err := relay.New(relay.Config{Store: st, Pow: relaytest.TestPow, Limits: relay.Limits{MaxConns: 100, MaxConnsPerIP: 100}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	// Re-listen on the old address so the client's reconnects reach it.
	addr := strings.TrimPrefix(e.url, "http://")
	var ln, lerr = listenRetry(addr)
	if lerr != nil {
		t.Fatal(lerr)
	}
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs.URL
}

func TestSenderCertificateAndMisc(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		secret := []byte("turn-secret")
		e := start(t, b, func(c *relay.Config) {
			c.TURN = relay.TURNConfig{Secret: secret, URLs: []string{"turn:127.0.0.1:3478"}}
			c.MaxAttachment = 1 << 20
		})
		alice := relaytest.NewDevice(t, "alice", 0).Register(t, e.url)
		pub, err := alice.Client.RelayKey(bg)
		if err != nil {
			t.Fatal(err)
		}
		rk, err := keys.ParseRelayPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := alice.Client.SenderCertificate(bg)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := keys.ParseSenderCertificate(sc.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.VerifySenderCertificate(cert, rk, time.Now()); err != nil || !cert.Sender.Equal(alice.Identity.Public()) || cert.Device != alice.Cert.Device {
			t.Fatalf("sender certificate: %v", err)
		}
		if err := keys.VerifySenderCertificate(cert, rk, time.Now().Add(25*time.Hour)); !errors.Is(err, keys.ErrExpired) {
			t.Fatalf("sender certificate not short-lived: %v", err)
		}
		// TURN credentials in coturn's REST-API scheme.
		tc, err := alice.Client.TURN(bg)
		if err != nil {
			t.Fatal(err)
		}
		if tc.Password != relay.TURNPassword(secret, tc.Username) || !relay.TURNUsernameValid(tc.Username, time.Now()) || relay.TURNUsernameValid(tc.Username, time.Now().Add(2*time.Hour)) {
			t.Fatalf("TURN credentials %+v", tc)
		}
		// Attachments: round trip, cap, unknown id.
		blob := make([]byte, 300<<10)
		_, _ = rand.Read(blob)
		up, err := alice.Client.Upload(bg, blob)
		if err != nil {
			t.Fatal(err)
		}
		down, err := alice.Client.Download(bg, up.ID)
		if err != nil || !bytes.Equal(down, blob) {
			t.Fatalf("download: %v", err)
		}
		_, err = alice.Client.Upload(bg, make([]byte, 1<<20+1))
		wantCode(t, err, api.CodeTooLarge)
		_, err = alice.Client.Download(bg, strings.Repeat("ab", 16))
		wantCode(t, err, api.CodeNotFound)
		// Metrics.
		rec := httptest.NewRecorder()
		e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		for _, want := range []string{"sotto_relay_connections 0", "sotto_relay_registrations_total 1", "sotto_relay_accounts 1", `sotto_relay_errors_total{code="too_large"} 1`} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

// TestBatchFrames: a batch message's frames are handled one by one; a bad
// frame inside gets its own error and the others still count.
func TestBatchFrames(t *testing.T) {
	e := start(t, relaytest.Backends()[0], nil)
	bob := relaytest.NewDevice(t, "bob", 0).Register(t, e.url)
	anon, _ := client.New(e.url, nil)
	ws, err := anon.Dial(bg, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	batch := api.AppendBatch(nil, [][]byte{
		api.AppendSend(nil, 7777, api.Addr{1}, bob.Token, []byte("to nobody")),
		{1, 99},
		api.AppendSend(nil, 7778, bob.Addr, bob.Token, []byte("to bob")),
	})
	if err := ws.WriteRaw(batch); err != nil {
		t.Fatal(err)
	}
	codes := map[api.Code]bool{}
	for range 2 {
		select {
		case ae := <-ws.Errors():
			codes[ae.Code] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("errors so far: %v", codes)
		}
	}
	if !codes[api.CodeNotFound] || !codes[api.CodeBadRequest] {
		t.Fatalf("errors %v", codes)
	}
	waitFor(t, func() bool {
		es, _ := e.st.Fetch(bg, bob.Addr, 0, 10, time.Now())
		return len(es) == 1 && string(es[0].Body) == "to bob"
	})
	// A nested or malformed batch is refused as a whole.
	if err := ws.WriteRaw(api.AppendBatch(nil, [][]byte{api.AppendBatch(nil, [][]byte{api.AppendAck(nil, 1)})})); err != nil {
		t.Fatal(err)
	}
	select {
	case ae := <-ws.Errors():
		if ae.Code != api.CodeBadRequest {
			t.Fatalf("nested batch: %+v", ae)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nested batch accepted silently")
	}
}
