package nettest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// requireServices is how make test runs: a missing tool or privilege fails instead of skipping.
func requireServices() bool { return os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" }

// unavailable skips the test, or fails it under SOTTO_TEST_REQUIRE_SERVICES=1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if requireServices() {
		t.Fatalf("%s, but SOTTO_TEST_REQUIRE_SERVICES=1", msg)
	}
	t.Skip(msg)
}

// needTool returns the path of an external program or skips (fails) without it.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, "%s not installed (apt install it; see scripts/setup.sh)", name)
	}
	return p
}

// needNetns checks what building namespaces takes: root, ip and tc.
func needNetns(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "network namespace tests need root (they create namespaces, links and tc qdiscs)")
	}
	needTool(t, "ip")
	needTool(t, "tc")
}

// run runs a command and returns its combined output, failing the test on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// nsPrefix starts every namespace these tests create; the creating process id follows it, so a
// later run can delete what a killed run left behind.
const nsPrefix = "sotto-nettest-"

// newNamespace creates a network namespace with a unique name, deleted when the test ends (even
// when it fails). Loopback is up and IPv6 is off, so ICE only sees the address the test gives.
func newNamespace(t testing.TB, role string) string {
	t.Helper()
	name := fmt.Sprintf("%s%d-%s-%s", nsPrefix, os.Getpid(), randomHex(t, 3), role)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete namespace %s: %v: %s", name, err, out)
		}
	})
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	run(t, "ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
	return name
}

// removeStaleNamespaces deletes namespaces left by test processes that no longer run.
func removeStaleNamespaces(t testing.TB) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // that run is still going
		}
		_ = exec.Command("ip", "netns", "del", name).Run()
	}
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
