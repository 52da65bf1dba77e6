package messenger

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/store"
)

// faultyRelay is a real relay behind a faulty network: sends are dropped
// before the relay sees them, or after it stored them (the acknowledgement is
// lost, so the sender retries and the relay holds a duplicate), or delayed;
// and every connection, WebSockets included, is cut at random moments (so
// unacknowledged envelopes are delivered again).
type faultyRelay struct {
	url string

	mu    sync.Mutex
	on    bool
	rng   *rand.Rand
	conns map[net.Conn]bool
	stats map[string]int
}

func (f *faultyRelay) roll() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Float64()
}

func (f *faultyRelay) count(what string) {
	f.mu.Lock()
	f.stats[what]++
	f.mu.Unlock()
}

func startFaultyRelay(t *testing.T, seed uint64) *faultyRelay {
	t.Helper()
	st := relaytest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
	srv, err := relay.New(relay.Config{Store: st, Pow: relaytest.TestPow,
		Limits: relay.Limits{MaxConns: 100, MaxConnsPerIP: 100}})
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyRelay{rng: rand.New(rand.NewPCG(seed, seed)), conns: map[net.Conn]bool{}, stats: map[string]int{}}
	faults := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		on := f.on
		f.mu.Unlock()
		if on && r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/messages/") {
			time.Sleep(time.Duration(f.roll() * float64(30*time.Millisecond)))
			switch x := f.roll(); {
			case x < 0.15:
				f.count("send dropped")
				_, _ = io.Copy(io.Discard, r.Body)
				http.Error(w, "network fault", http.StatusBadGateway)
				return
			case x < 0.30:
				f.count("send ack lost")
				srv.ServeHTTP(httptest.NewRecorder(), r)
				http.Error(w, "network fault", http.StatusBadGateway)
				return
			}
		}
		srv.ServeHTTP(w, r)
	})
	hs := httptest.NewUnstartedServer(faults)
	hs.Config.ConnState = func(c net.Conn, s http.ConnState) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch s {
		case http.StateNew:
			f.conns[c] = true
		case http.StateClosed, http.StateHijacked:
			if s == http.StateClosed {
				delete(f.conns, c)
			}
		}
	}
	hs.Start()
	f.url = hs.URL
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // cut every connection now and then
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(150+f.roll()*300) * time.Millisecond):
			}
			f.mu.Lock()
			if !f.on {
				f.mu.Unlock()
				continue
			}
			for c := range f.conns {
				_ = c.Close()
				delete(f.conns, c)
				f.stats["connection cut"]++
			}
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() { close(stop); wg.Wait(); srv.Close(); hs.Close() })
	return f
}

// TestFaultyNetworkExactlyOnceInOrder: through drops, lost acks, delays and
// cut connections, every message is shown exactly once, in order, on both
// sides, and every outgoing message ends up acknowledged.
func TestFaultyNetworkExactlyOnceInOrder(t *testing.T) {
	ctx := context.Background()
	// Accounts are made on a healthy relay; faults start with the messages.
	f := startFaultyRelay(t, 7)
	alice := newPeer(t, f.url, "alice")
	bob := newPeer(t, f.url, "bob")
	f.mu.Lock()
	f.on = true
	f.mu.Unlock()

	const n = 25
	var want []string
	for i := range n {
		text := "message " + string(rune('A'+i))
		want = append(want, text)
		sender, to := alice, "bob"
		if i%5 == 4 {
			sender, to = bob, "alice" // replies now and then: direction changes
		}
		row, err := sender.m.SendText(ctx, handle.MustParse(to), text, 0)
		if err != nil && row.ID == 0 {
			t.Fatalf("send %d: %v", i, err)
		}
		time.Sleep(time.Millisecond) // distinct send times order the conversation
	}
	check := func(p *peer, with string) bool {
		got := bodies(p.history(t, with))
		return equal(got, want)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !(check(alice, "bob") && check(bob, "alice")) {
		if time.Now().After(deadline) {
			t.Fatalf("after faults:\nalice %q\nbob   %q", bodies(alice.history(t, "bob")), bodies(bob.history(t, "alice")))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every outgoing message is acknowledged by the relay in the end.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		pending := 0
		for _, p := range []*peer{alice, bob} {
			with := "bob"
			if p == bob {
				with = "alice"
			}
			for _, m := range p.history(t, with) {
				if m.Direction == store.Outgoing && m.Status == store.StatusPending {
					pending++
				}
			}
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still pending", pending)
		}
	}
	f.mu.Lock()
	t.Logf("faults injected: %v", f.stats)
	if f.stats["send dropped"] == 0 || f.stats["send ack lost"] == 0 || f.stats["connection cut"] == 0 {
		t.Errorf("not every kind of fault happened: %v", f.stats)
	}
	f.mu.Unlock()
}
