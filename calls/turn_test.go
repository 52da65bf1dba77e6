package calls

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// relayWithTURN runs a relay node with its embedded TURN server on
// loopback and returns the base URL.
func relayWithTURN(t testing.TB) string {
	t.Helper()
	secret := []byte("calls-test-turn-secret")
	ts, err := relay.StartTURN(relay.TURNServerConfig{Listen: "127.0.0.1:0", RelayIP: "127.0.0.1", Secret: secret})
	if err != nil {
		t.Fatalf("start turn: %v", err)
	}
	t.Cleanup(func() { ts.Close() })
	st := relaytest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
	srv, err := relay.New(relay.Config{Store: st, Pow: relaytest.TestPow,
		Limits: relay.Limits{MaxConns: 1000, MaxConnsPerIP: 1000},
		TURN:   relay.TURNConfig{Secret: secret, URLs: []string{"turn:" + ts.Addr() + "?transport=udp"}}})
	if err != nil {
		t.Fatalf("start relay: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs.URL
}

// relayICEServers registers a device at the relay and returns an
// ICEServers function that fetches TURN credentials the way the app does.
func relayICEServers(t testing.TB, relayURL, name string) func(context.Context) ([]webrtc.ICEServer, error) {
	t.Helper()
	dev := relaytest.NewDevice(t, relaytest.Name(name, 0), 0).Register(t, relayURL)
	return func(ctx context.Context) ([]webrtc.ICEServer, error) {
		c, err := dev.Client.TURN(ctx)
		if err != nil {
			return nil, fmt.Errorf("turn credentials: %w", err)
		}
		return []webrtc.ICEServer{{URLs: c.URLs, Username: c.Username, Credential: c.Password}}, nil
	}
}

func relayOnly(servers func(context.Context) ([]webrtc.ICEServer, error)) func(*Config) {
	return func(c *Config) {
		c.ICEServers = servers
		c.RelayOnly = func() bool { return true }
	}
}

// assertRelayed checks that both sides selected a relay↔relay pair.
func assertRelayed(t *testing.T, id CallID, peers ...*peer) {
	t.Helper()
	for _, p := range peers {
		st, err := p.m.Stats(id)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: selected pair %s ↔ %s, rtt %v", p.name, st.LocalCandidate, st.RemoteCandidate, st.RTT)
		if st.LocalCandidate != "relay" || st.RemoteCandidate != "relay" {
			t.Errorf("%s: selected pair %s ↔ %s, want relay ↔ relay", p.name, st.LocalCandidate, st.RemoteCandidate)
		}
	}
}

// TestRelayOnlyThroughRelayTURN: with "always relay" on both sides the call
// goes through the relay's own TURN server, with credentials from its API.
func TestRelayOnlyThroughRelayTURN(t *testing.T) {
	url := relayWithTURN(t)
	n := newNetwork(t)
	// Nothing but relay candidates may reach the peer: no host address.
	n.filter = func(from, _ string, s *Signal) bool {
		if s.Kind == KindCandidate && !strings.Contains(s.Cand.Candidate, "typ relay") {
			t.Errorf("%s leaked a non-relay candidate: %s", from, s.Cand.Candidate)
		}
		if strings.Contains(s.SDP, "a=candidate") && !strings.Contains(s.SDP, "typ relay") {
			t.Errorf("%s's SDP carries a non-relay candidate", from)
		}
		return true
	}
	alice := n.add("alice", relayOnly(relayICEServers(t, url, "alice")))
	bob := n.add("bob", relayOnly(relayICEServers(t, url, "bob")))
	id := connect(t, alice, bob, false)
	assertRelayed(t, id, alice, bob)
	// An ICE restart fetches fresh credentials and stays relayed.
	if err := alice.m.RestartICE(id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	assertRelayed(t, id, alice, bob)
	if err := bob.m.Hangup(id); err != nil {
		t.Fatal(err)
	}
	alice.waitEnd(t)
}

// TestRelayOnlyWithoutTURN: "always relay" with no TURN server ends the
// call at once as no network path instead of leaking host candidates.
func TestRelayOnlyWithoutTURN(t *testing.T) {
	n := newNetwork(t)
	alice := n.add("alice", func(c *Config) { c.RelayOnly = func() bool { return true } })
	n.add("bob", nil)
	if _, err := alice.m.Call(context.Background(), "bob", false); err == nil {
		t.Fatal("relay-only call without TURN started")
	}
	if e := alice.waitEnd(t); e.Reason != ReasonNoNetworkPath {
		t.Fatalf("alice: %v (%v)", e.Reason, e.Err)
	}
}

// TestRelayOnlyThroughCoturn: the same through Debian's coturn started with
// the REST-API shared secret, as a relay operator may deploy it.
func TestRelayOnlyThroughCoturn(t *testing.T) {
	bin := needTool(t, "turnserver")
	port := freeUDPPort(t)
	secret := "calls-coturn-secret"
	cmd := exec.Command(bin, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
		fmt.Sprintf("--listening-port=%d", port), "--min-port=50200", "--max-port=50300",
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm=sotto.test", "--fingerprint",
		"--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-cli", "--no-tcp-relay",
		"--pidfile="+filepath.Join(t.TempDir(), "turn.pid"), "--log-file=stdout", "--simple-log")
	log := filepath.Join(t.TempDir(), "coturn.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start coturn: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); f.Close() })
	waitUDPListening(t, port, log)

	servers := func(context.Context) ([]webrtc.ICEServer, error) {
		u, p := relay.TURNCredentials([]byte(secret), time.Now().Add(time.Hour))
		return []webrtc.ICEServer{{URLs: []string{fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", port)}, Username: u, Credential: p}}, nil
	}
	n := newNetwork(t)
	alice, bob := n.add("alice", relayOnly(servers)), n.add("bob", relayOnly(servers))
	id := connect(t, alice, bob, false)
	assertRelayed(t, id, alice, bob)
	if err := alice.m.Hangup(id); err != nil {
		t.Fatal(err)
	}
	bob.waitEnd(t)
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// waitUDPListening waits until something holds the UDP port on loopback.
func waitUDPListening(t testing.TB, port int, log string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return // taken: coturn is up
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("coturn did not listen on %d; log:\n%s", port, b)
}
