package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// devAppAndRelay prepares a UI test in Chromium: it checks the frontend is
// built and chromium installed, builds the dev-tag app and the relay, and
// starts the relay on a free loopback port (its log kept as an artefact when
// the test fails). It returns the repository root, the app binary and the
// relay's URL.
func devAppAndRelay(t *testing.T) (root, app, relayURL string) {
	t.Helper()
	requireE2E(t)
	root = repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "frontend", "dist", "index.html")); err != nil {
		t.Fatalf("frontend is not built (make build): %v", err)
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("chromium is not installed (scripts/setup.sh installs it): %v", err)
	}

	bin := t.TempDir()
	app = filepath.Join(bin, "sotto-dev")
	relayBin := filepath.Join(bin, "sotto-relay")
	for _, b := range [][]string{
		{"build", "-tags", "dev,webkit2_41", "-o", app, "."},
		{"build", "-o", relayBin, "./cmd/sotto-relay"},
	} {
		cmd := exec.Command("go", b...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", b, err, out)
		}
	}

	relayAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	relayLogs := newLogWatcher()
	relay := exec.Command(relayBin, "serve", "--listen", relayAddr,
		"--store", "sqlite:"+filepath.Join(t.TempDir(), "relay.db"),
		"--insecure-loopback", "--pow-bits", "1", "--pow-memory", "8", "--pow-time", "1", "--no-rate-limits")
	relay.Stdout, relay.Stderr = relayLogs, relayLogs
	startProcess(t, relay)
	t.Cleanup(func() {
		if t.Failed() {
			_ = os.WriteFile(filepath.Join(artifactsDir(t), t.Name()+"-relay.log"), []byte(relayLogs.String()), 0o644)
		}
	})
	relayURL = "http://" + relayAddr
	waitHTTP(t, relayURL+"/healthz", 30*time.Second)
	return root, app, relayURL
}
