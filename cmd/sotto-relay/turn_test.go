package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/relaytest"
)

// TestTURNWithCoturnClient: coturn's turnutils_uclient (an independent
// implementation) allocates and relays through the embedded TURN server
// with credentials the relay issued; wrong credentials are refused.
func TestTURNWithCoturnClient(t *testing.T) {
	uclient, err := exec.LookPath("turnutils_uclient")
	if err != nil {
		if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("turnutils_uclient (apt coturn) missing but SOTTO_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("turnutils_uclient (apt coturn) not installed")
	}
	turnAddr := freeUDPPort(t)
	_, port, _ := net.SplitHostPort(turnAddr)
	p := startRelay(t, "--listen", "127.0.0.1:0", "--insecure-loopback", "--store", "sqlite:"+filepath.Join(t.TempDir(), "r.db"),
		"--pow-bits", "1", "--pow-memory", "8", "--turn-listen", turnAddr, "--turn-relay-ip", "127.0.0.1",
		"--turn-secret", "s3cret-for-tests", "--turn-url", "turn:"+turnAddr+"?transport=udp")
	d := relaytest.NewDevice(t, "turnuser", 0).Register(t, p.url)
	creds, err := d.Client.TURN(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(creds.URLs) != 1 || !strings.Contains(creds.URLs[0], turnAddr) {
		t.Fatalf("TURN URLs %v", creds.URLs)
	}
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, uclient, args...).CombinedOutput()
		return string(out), err
	}
	for _, tcp := range []bool{false, true} {
		args := []string{"-y", "-c", "-u", creds.Username, "-w", creds.Password, "-n", "20", "-m", "2", "-X", "-p", port}
		if tcp {
			args = append([]string{"-t"}, args...)
		}
		out, err := run(append(args, "127.0.0.1")...)
		if err != nil || !strings.Contains(out, "Total lost packets 0") {
			t.Fatalf("uclient (tcp=%v) with issued credentials: %v\n%s", tcp, err, tail(out))
		}
		if !strings.Contains(out, "Total transmit time") {
			t.Fatalf("uclient (tcp=%v) did not relay:\n%s", tcp, tail(out))
		}
	}
	out, err := run("-y", "-c", "-u", creds.Username, "-w", "wrong-password", "-n", "5", "-m", "1", "-X", "-p", port, "127.0.0.1")
	if err == nil {
		t.Fatalf("wrong password accepted:\n%s", tail(out))
	}
	expired := "1000:deadbeef"
	out, err = run("-y", "-c", "-u", expired, "-w", "x", "-n", "5", "-m", "1", "-X", "-p", port, "127.0.0.1")
	if err == nil {
		t.Fatalf("expired credential accepted:\n%s", tail(out))
	}
}

func freeUDPPort(t *testing.T) string {
	t.Helper()
	for range 20 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := u.LocalAddr().String()
		u.Close()
		if l, err := net.Listen("tcp4", addr); err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no free UDP+TCP port")
	return ""
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
