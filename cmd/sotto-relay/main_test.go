package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/client"
)

func TestParseServe(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	for _, tc := range []struct {
		args []string
		env  map[string]string
		ok   bool
	}{
		{[]string{"--insecure-loopback", "--listen", "127.0.0.1:0"}, nil, true},
		{[]string{"--insecure-loopback", "--listen", "[::1]:0"}, nil, true},
		{[]string{"--insecure-loopback", "--listen", "0.0.0.0:8443"}, nil, false},
		{[]string{"--insecure-loopback", "--listen", ":8443"}, nil, false},
		{[]string{"--insecure-loopback", "--listen", "localhost:8443"}, nil, false},
		{[]string{"--listen", "127.0.0.1:0"}, nil, false}, // no TLS, no --insecure-loopback
		{[]string{"--tls-cert", "c.pem"}, nil, false},
		{[]string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-autocert", "x.example"}, nil, false},
		{[]string{"--tls-autocert", "relay.example", "--listen", "0.0.0.0:443"}, nil, true},
		{nil, map[string]string{"SOTTO_RELAY_INSECURE_LOOPBACK": "true", "SOTTO_RELAY_LISTEN": "127.0.0.2:9"}, true},
		{nil, map[string]string{"SOTTO_RELAY_INSECURE_LOOPBACK": "maybe"}, false},
		{[]string{"stray"}, nil, false},
	} {
		env := noEnv
		if tc.env != nil {
			env = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		}
		_, err := parseServe(tc.args, env, io.Discard)
		if (err == nil) != tc.ok {
			t.Errorf("%v %v: err = %v", tc.args, tc.env, err)
		}
	}
	// Flags win over the environment.
	c, err := parseServe([]string{"--pow-bits", "7", "--insecure-loopback"}, func(k string) (string, bool) {
		return map[string]string{"SOTTO_RELAY_POW_BITS": "3", "SOTTO_RELAY_STORE": "sqlite:/tmp/x.db"}[k], k == "SOTTO_RELAY_POW_BITS" || k == "SOTTO_RELAY_STORE"
	}, io.Discard)
	if err != nil || c.powBits != 7 || c.storeDSN != "sqlite:/tmp/x.db" {
		t.Fatalf("precedence: %+v %v", c, err)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// relayBinary builds cmd/sotto-relay once per test run.
func relayBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sotto-relay-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sotto-relay")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// freePort returns a loopback address nothing listens on right now.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a running relay process.
type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	lines  chan string
}

// startRelay runs `sotto-relay serve args…` and waits for its listening
// line.
func startRelay(t testing.TB, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(relayBinary(t), append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "SOTTO_RELAY_LOG_LEVEL=warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}, lines: make(chan string, 16)}
	cmd.Stderr = &lockedWriter{w: p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("relay exited: %s", p.stderr.String())
			}
			if u, found := strings.CutPrefix(l, "sotto-relay listening on "); found {
				p.url = u
				t.Cleanup(func() { p.kill() })
				return p
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("relay did not start: %s", p.stderr.String())
		}
	}
}

// stderrString returns what the relay logged so far.
func (p *proc) stderrString() string {
	lw := p.cmd.Stderr.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return p.stderr.String()
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestVersionAndServe(t *testing.T) {
	out, err := exec.Command(relayBinary(t), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "sotto-relay ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if err := exec.Command(relayBinary(t), "serve", "--listen", "0.0.0.0:0", "--insecure-loopback").Run(); err == nil {
		t.Fatal("plain HTTP on a non-loopback address accepted")
	}
	metrics := freePort(t)
	p := startRelay(t, "--listen", "127.0.0.1:0", "--insecure-loopback", "--store", "sqlite:"+filepath.Join(t.TempDir(), "r.db"), "--metrics", metrics)
	c, _ := client.New(p.url, nil)
	h, err := c.Health(context.Background())
	if err != nil || h.Status != "ok" {
		t.Fatalf("healthz: %+v %v", h, err)
	}
	resp, err := httpGet("http://" + metrics + "/metrics")
	if err != nil || !strings.Contains(resp, "sotto_relay_connections") {
		t.Fatalf("metrics: %v %.200s", err, resp)
	}
}
