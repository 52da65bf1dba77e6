package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestCallsUIInChromium drives a video call between two real Sotto clients
// through a real relay from Chromium (frontend/e2e/calls.e2e.ts): Alice calls
// @bob from the conversation header, Bob accepts with video on the overlay,
// both see the connected state and each other's test-pattern video drawn
// from their app's loopback media bridge, then Bob hangs up and the call ends
// and is logged on both sides. SOTTO_FAKE_MEDIA=1 gives each app a
// frame-numbered test pattern as its camera (there is none here).
func TestCallsUIInChromium(t *testing.T) {
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
		env := appEnv(t, display, "assetdir="+filepath.Join(root, "frontend", "dist"), "devserver="+addr, "SOTTO_FAKE_MEDIA=1")
		logs, _ := startDevApp(t, app, env, "--profile", "calls_"+who, "--relay", relayURL)
		if err := logs.waitFor("ui ready", 90*time.Second); err != nil {
			t.Fatalf("%s's window never reported ready: %v\n%s", who, err, logs.String())
		}
		waitHTTP(t, "http://"+addr+"/", 30*time.Second)
		urls[who] = "http://" + addr + "/"
	}

	runVitest(t, root, "e2e/calls.e2e.ts",
		"SOTTO_CALLER_URL="+urls["alice"],
		"SOTTO_CALLEE_URL="+urls["bob"],
	)
}
