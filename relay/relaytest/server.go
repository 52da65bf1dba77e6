package relaytest

import (
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/sotto-im/sotto/relay"
)

// Serve runs a relay node on a loopback socket, with an SQLite store in a
// temporary directory, the test proof of work and no rate limits, and
// returns its base URL. It stops when the test ends.
func Serve(t testing.TB) string {
	t.Helper()
	st := Open(t, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
	srv, err := relay.New(relay.Config{Store: st, Pow: TestPow, Limits: relay.Limits{MaxConns: 1000, MaxConnsPerIP: 1000}})
	if err != nil {
		t.Fatalf("start relay: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs.URL
}
