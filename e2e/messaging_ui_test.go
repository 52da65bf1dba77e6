package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMessagingUIInChromium drives two real Sotto clients through a real
// relay from Chromium (frontend/e2e/messaging.e2e.ts): Alice and Bob onboard
// (no keyring here, so both take the passphrase path), Alice writes to @bob,
// Bob accepts the request and replies, Alice's ticks move from sent to read,
// search finds an old message, and axe checks every screen on the way.
func TestMessagingUIInChromium(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "frontend", "dist", "index.html")); err != nil {
		t.Fatalf("frontend is not built (make build): %v", err)
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("chromium is not installed (scripts/setup.sh installs it): %v", err)
	}

	bin := t.TempDir()
	app := filepath.Join(bin, "sotto-dev")
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
	relayURL := "http://" + relayAddr
	waitHTTP(t, relayURL+"/healthz", 30*time.Second)

	display := startXvfb(t)
	urls := map[string]string{}
	for _, who := range []string{"alice", "bob"} {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		logs := startApp(t, app, appEnv(t, display,
			"devserver="+addr,
			"assetdir="+filepath.Join(root, "frontend", "dist"),
		), "--profile", "e2e_"+who, "--relay", relayURL)
		if err := logs.waitFor("ui ready", 90*time.Second); err != nil {
			t.Fatalf("%s's window never reported ready: %v\n%s", who, err, logs.String())
		}
		waitHTTP(t, "http://"+addr+"/", 30*time.Second)
		urls[who] = "http://" + addr + "/"
	}

	cmd := exec.Command("npx", "vitest", "run", "--config", "vitest.e2e.config.ts", "e2e/messaging.e2e.ts")
	cmd.Dir = filepath.Join(root, "frontend")
	cmd.Env = append(os.Environ(),
		"SOTTO_ALICE_URL="+urls["alice"],
		"SOTTO_BOB_URL="+urls["bob"],
		"SOTTO_RELAY_URL="+relayURL,
		"SOTTO_ARTIFACTS="+artifactsDir(t),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("playwright:\n%s", out)
	if err != nil {
		t.Fatalf("messaging UI test in Chromium failed: %v", err)
	}
	// The suite skips itself without its URLs; here it must have run.
	if strings.Contains(string(out), "skipped") {
		t.Fatal("the messaging UI suite was skipped")
	}
}
