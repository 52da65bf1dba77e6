package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// TestProcessSQLite and TestProcessPostgres run the API end to end against
// the real sotto-relay binary on 127.0.0.1 with each store: registration
// (and its refusals), auth, lookup with one-time prekeys, sealed and
// first-contact sends, in-order push, acks, refusal of unknown acks and
// garbage frames, redelivery after reconnect and after a restart.
func TestProcessSQLite(t *testing.T) {
	processSuite(t, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
}

func TestProcessPostgres(t *testing.T) {
	processSuite(t, relaytest.PostgresDSN(t))
}

func processSuite(t *testing.T, dsn string) {
	ctx := context.Background()
	listen := freePort(t)
	args := []string{"--listen", listen, "--insecure-loopback", "--store", dsn, "--pow-bits", "2", "--pow-memory", "8"}
	p := startRelay(t, args...)
	if h, err := mustClient(t, p.url).Health(ctx); err != nil || h.Status != "ok" {
		t.Fatalf("healthz: %+v %v", h, err)
	}
	alice := relaytest.NewDevice(t, "proc_alice", 2).Register(t, p.url)
	bob := relaytest.NewDevice(t, "proc_bob", 2).Register(t, p.url)

	// Refusals: a second claim, a look-alike, a reserved handle.
	for h, code := range map[string]api.Code{"proc_alice": api.CodeHandleTaken, "proc_a1ice": api.CodeHandleConfusable, "support": api.CodeHandleReserved} {
		_, err := mustClient(t, p.url).Register(ctx, relaytest.NewDevice(t, h, 0).Registration())
		if !api.HasCode(err, code) {
			t.Fatalf("register %s: %v, want %s", h, err, code)
		}
	}
	// Lookup: two one-time prekeys, then the last resort.
	for i := range 3 {
		res, err := alice.Client.Lookup(ctx, handle.MustParse("proc_bob"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := keys.ParseBundle(res.Devices[0].Bundle)
		if err != nil || b.Verify(time.Now()) != nil {
			t.Fatalf("bundle: %v", err)
		}
		if (b.OneTimePrekey != nil) != (i < 2) {
			t.Fatalf("lookup %d: one-time prekey present = %v", i, b.OneTimePrekey != nil)
		}
	}
	// Sends: sealed over an anonymous WebSocket, first contact over HTTP.
	anon, err := mustClient(t, p.url).Dial(ctx, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"one", "two", "three"} {
		r, err := anon.Send(ctx, bob.Addr, bob.Token, []byte(body))
		if err != nil || r.Seq != uint64(i+1) {
			t.Fatalf("send %d: %+v %v", i, r, err)
		}
	}
	anon.Close()
	if r, err := alice.Client.SendFirstContact(ctx, bob.Addr, []byte("four")); err != nil || r.Seq != 4 {
		t.Fatalf("first contact: %+v %v", r, err)
	}
	// Receive in order, ack two, refuse an unknown ack and a garbage frame.
	rc, err := bob.Client.Dial(ctx, client.DialOptions{Authenticated: true})
	if err != nil {
		t.Fatal(err)
	}
	got := receiveN(t, rc, 4)
	for i, want := range []string{"one", "two", "three", "four"} {
		if string(got[i].Body) != want {
			t.Fatalf("envelope %d = %q", i, got[i].Body)
		}
	}
	if got[3].Sender == nil || *got[3].Sender != alice.Addr || got[0].Sender != nil {
		t.Fatal("sender fields wrong")
	}
	_ = rc.Ack(2)
	_ = rc.Ack(1000)
	_ = rc.WriteRaw([]byte{9, 9, 9})
	// Acks are queued, raw frames written at once: either may come first.
	codes := map[api.Code]bool{}
	for range 2 {
		select {
		case e := <-rc.Errors():
			codes[e.Code] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("errors so far %v", codes)
		}
	}
	if !codes[api.CodeUnknownSequence] || !codes[api.CodeBadRequest] {
		t.Fatalf("errors %v", codes)
	}
	rc.Close()
	// Restart the process; resuming after the last ack (2) brings 3 and 4
	// again, in order. (The relay acknowledges acks by nothing, so a client
	// resumes from its own record; an ack not yet committed when the
	// process died would otherwise mean 1 and 2 again, which is allowed.)
	p.kill()
	startRelay(t, args...) // same port and store; killed at cleanup
	rc, err = bob.Client.Dial(ctx, client.DialOptions{Authenticated: true, After: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	again := receiveN(t, rc, 2)
	if again[0].Seq != 3 || again[1].Seq != 4 {
		t.Fatalf("redelivered %d, %d", again[0].Seq, again[1].Seq)
	}
}

func mustClient(t *testing.T, url string) *client.Client {
	c, err := client.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func receiveN(t *testing.T, c *client.Conn, n int) []client.Envelope {
	t.Helper()
	var out []client.Envelope
	timeout := time.After(15 * time.Second)
	for len(out) < n {
		select {
		case e, ok := <-c.Envelopes():
			if !ok {
				t.Fatalf("closed after %d envelopes: %v", len(out), c.Err())
			}
			out = append(out, e)
		case <-timeout:
			t.Fatalf("got %d of %d envelopes", len(out), n)
		}
	}
	return out
}
