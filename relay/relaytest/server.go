package relaytest

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/store"
)

// Serve runs a relay node on a loopback socket, with an SQLite store in a
// temporary directory, the test proof of work and no rate limits, and
// returns its base URL. Tree heads are issued every 20 ms. It stops when the
// test ends.
func Serve(t testing.TB) string {
	return ServeWrapped(t, nil)
}

// ServeWrapped is Serve with the relay's handler passed through wrap (which
// also gets the store, and so the relay's keys): tests build misbehaving
// relays this way, outside any production code path.
func ServeWrapped(t testing.TB, wrap func(h http.Handler, st store.Store) http.Handler) string {
	t.Helper()
	st := Open(t, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
	srv, err := relay.New(relay.Config{Store: st, Pow: TestPow, Limits: relay.Limits{MaxConns: 1000, MaxConnsPerIP: 1000},
		KT: relay.KTConfig{Interval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatalf("start relay: %v", err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv, st)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.Listener = relay.Listener(hs.Listener) // as sotto-relay serves
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs.URL
}
