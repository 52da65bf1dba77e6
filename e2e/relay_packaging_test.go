package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/api"
)

// TestRelayUnitHardening reads build/relay/sotto-relay.service: the relay
// runs as a transient user with a state directory, a read-only system, no
// home directories, its own /tmp, no new privileges, no capability but
// binding low ports, IP and Unix sockets only, and the @system-service
// system calls; systemd-analyze accepts the unit and rates its exposure
// at most 2.0 (of 10).
func TestRelayUnitHardening(t *testing.T) {
	root := repoRoot(t)
	unitPath := filepath.Join(root, "build", "relay", "sotto-relay.service")
	unit := readUnit(t, unitPath)
	want := map[string]string{
		"DynamicUser":             "yes",
		"StateDirectory":          "sotto-relay",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "CAP_NET_BIND_SERVICE",
		"AmbientCapabilities":     "CAP_NET_BIND_SERVICE",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"RestrictNamespaces":      "yes",
		"RestrictSUIDSGID":        "yes",
		"MemoryDenyWriteExecute":  "yes",
		"LockPersonality":         "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectControlGroups":    "yes",
		"SystemCallArchitectures": "native",
		"UMask":                   "0077",
	}
	for k, v := range want {
		if got := unit[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s=%q, want exactly %q", k, got, v)
		}
	}
	if f := unit["SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%q, want @system-service first", f)
	}
	if u := unit["User"]; len(u) > 0 && (u[0] == "root" || u[0] == "0") {
		t.Errorf("User=%s", u[0])
	}
	if e := unit["ExecStart"]; len(e) != 1 || !strings.HasSuffix(e[0], "/sotto-relay serve") {
		t.Errorf("ExecStart=%q", e)
	}
	// The sample settings keep the store in the state directory.
	env := readEnvFile(t, filepath.Join(root, "build", "relay", "relay.env"))
	if !strings.HasPrefix(env["SOTTO_RELAY_STORE"], "sqlite:/var/lib/sotto-relay/") {
		t.Errorf("relay.env: SOTTO_RELAY_STORE=%q is not in the state directory", env["SOTTO_RELAY_STORE"])
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("systemd-analyze missing (apt install systemd)")
		}
		t.Skip("systemd-analyze missing")
	}
	// verify wants the program and the environment file to exist: point
	// them at ones that do.
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "ExecStart=/usr/local/bin/sotto-relay serve", "ExecStart=/bin/true serve", 1)
	s = strings.Replace(s, "EnvironmentFile=/etc/sotto/relay.env", "EnvironmentFile="+filepath.Join(root, "build", "relay", "relay.env"), 1)
	tmpUnit := filepath.Join(t.TempDir(), "sotto-relay.service")
	if err := os.WriteFile(tmpUnit, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 on unknown keys: any output is a finding.
	if out, err := exec.Command(analyze, "verify", tmpUnit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", tmpUnit).CombinedOutput()
	level := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || level == nil {
		t.Errorf("systemd-analyze security: exposure over 2.0 or unreadable (%v):\n%s", err, out)
	} else {
		t.Logf("systemd-analyze security: exposure %s (0 = locked down, 10 = none)", level[1])
	}
}

// TestRelayContainerBinary builds the relay exactly as build/relay/Dockerfile
// does (its `go build` line, cgo off), checks the binary is static, and runs
// it the way the image does — ENTRYPOINT and CMD, the image's ENV with the
// state directory moved to a temporary one, as the image's user (65532) when
// the test runs as root — with a certificate, until /healthz answers with the
// version given as the build argument. Docker itself is not needed (make
// test-dist).
func TestRelayContainerBinary(t *testing.T) {
	if os.Getenv("SOTTO_TEST_DIST") != "1" {
		t.Skip("set SOTTO_TEST_DIST=1 (make test-dist): builds the relay as the Dockerfile does")
	}
	root := repoRoot(t)
	df := parseDockerfile(t, filepath.Join(root, "build", "relay", "Dockerfile"))
	out := t.TempDir()
	// The image's user must reach the binary: open the test's directories.
	for _, d := range []string{filepath.Dir(out), out} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("sh", "-c", strings.ReplaceAll(df.goBuild, "/out/", out+"/"))
	build.Dir = root
	build.Env = append(os.Environ(), "VERSION=packaging-test")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", df.goBuild, err, b)
	}
	bin := filepath.Join(out, "sotto-relay")
	if info := run(t, "go", "version", "-m", bin); !strings.Contains(info, "CGO_ENABLED=0") {
		t.Errorf("the relay was built with cgo:\n%s", info)
	}
	if f := run(t, "file", "-b", bin); !strings.Contains(f, "statically linked") {
		t.Errorf("file: %s", f)
	}

	state := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	listen := freeLoopbackAddr(t)
	certPEM, keyPEM, pool := selfSignedCert(t)
	for name, b := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(state, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := append(append([]string{}, df.entrypoint[1:]...), df.cmd...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = state
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range df.env {
		cmd.Env = append(cmd.Env, k+"="+strings.ReplaceAll(v, "/var/lib/sotto-relay", state))
	}
	// Loopback only in tests, with a certificate since the image serves TLS.
	cmd.Env = append(cmd.Env, "SOTTO_RELAY_LISTEN="+listen, "SOTTO_RELAY_TLS_CERT="+filepath.Join(state, "tls.crt"),
		"SOTTO_RELAY_TLS_KEY="+filepath.Join(state, "tls.key"), "SOTTO_RELAY_POW_BITS=2")
	if os.Getuid() == 0 {
		uid, gid := df.user()
		if err := filepath.Walk(filepath.Dir(state), func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Chown(p, uid, gid)
		}); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "sotto-relay listening on "); ok {
				listening <- u
			}
		}
		close(listening)
	}()
	var url string
	select {
	case u, ok := <-listening:
		if !ok {
			t.Fatalf("the relay exited:\n%s", stderr.String())
		}
		url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("the relay did not start:\n%s", stderr.String())
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(url + api.PathHealth)
	if err != nil {
		t.Fatalf("GET %s: %v\n%s", api.PathHealth, err, stderr.String())
	}
	defer resp.Body.Close()
	var h api.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK || h.Status != "ok" || h.Version != "packaging-test" {
		t.Fatalf("healthz: %d %+v %v", resp.StatusCode, h, err)
	}
	if st, err := os.Stat(filepath.Join(state, "relay.db")); err != nil {
		t.Errorf("the store is not in the state directory: %v", err)
	} else if uid, _ := df.user(); os.Getuid() == 0 && int(st.Sys().(*syscall.Stat_t).Uid) != uid {
		t.Errorf("the store belongs to uid %d, not the image's user %d", st.Sys().(*syscall.Stat_t).Uid, uid)
	}

	// Every setting in the sample file names a flag of `serve`.
	help, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	for k := range readEnvFile(t, filepath.Join(root, "build", "relay", "relay.env")) {
		flagName := "-" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "SOTTO_RELAY_")), "_", "-")
		if !strings.HasPrefix(k, "SOTTO_RELAY_") || !regexp.MustCompile(`(?m)^\s+`+regexp.QuoteMeta(flagName)+`\b`).Match(help) {
			t.Errorf("relay.env: %s is not a sotto-relay serve setting", k)
		}
	}
}

// readUnit returns a systemd unit's [Service] keys with their values in
// order (a key may repeat).
func readUnit(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	section := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "["):
			section = l
		case section == "[Service]":
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("%s: %q is not key=value", path, l)
			}
			keys[k] = append(keys[k], v)
		}
	}
	return keys
}

// readEnvFile reads KEY=value lines, comments left out.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=value", path, l)
		}
		env[k] = v
	}
	return env
}

// dockerfile is what the relay test takes from build/relay/Dockerfile.
type dockerfile struct {
	goBuild    string            // the RUN line with `go build`, without RUN
	env        map[string]string // the final stage's ENV
	userSpec   string            // the final stage's USER
	entrypoint []string
	cmd        []string
}

func (d dockerfile) user() (uid, gid int) {
	m := regexp.MustCompile(`^(\d+):(\d+)$`).FindStringSubmatch(d.userSpec)
	if m == nil {
		return 65532, 65532
	}
	uid, _ = strconv.Atoi(m[1])
	gid, _ = strconv.Atoi(m[2])
	return uid, gid
}

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines.
	text := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(b), " ")
	d := dockerfile{env: map[string]string{}}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		word, rest, _ := strings.Cut(l, " ")
		switch word {
		case "FROM":
			d.env = map[string]string{} // only the last stage counts
		case "RUN":
			if strings.Contains(rest, "go build") {
				d.goBuild = rest
			}
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					d.env[k] = v
				}
			}
		case "USER":
			d.userSpec = rest
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT: %v", err)
			}
		case "CMD":
			if err := json.Unmarshal([]byte(rest), &d.cmd); err != nil {
				t.Fatalf("CMD: %v", err)
			}
		}
	}
	if d.goBuild == "" || len(d.entrypoint) == 0 || !strings.Contains(d.goBuild, "CGO_ENABLED=0") {
		t.Fatalf("%s: no cgo-free go build line or no ENTRYPOINT", path)
	}
	return d
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// selfSignedCert returns a certificate for 127.0.0.1, its key and a pool
// that trusts it.
func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), pool
}
