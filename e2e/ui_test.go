package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestUIInChromium drives the real frontend, connected to the real Go backend,
// from Debian's Chromium through Playwright (frontend/e2e/ui.e2e.ts). The
// backend is the app built with Wails' dev tag: besides its window it serves
// the UI with live Go bindings on a loopback port, as `wails dev` does. The
// version is a random string linked into the binary, so the page can only show
// it by a real round trip to Go.
func TestUIInChromium(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "frontend", "dist", "index.html")); err != nil {
		t.Fatalf("frontend is not built (make build): %v", err)
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("chromium is not installed (scripts/setup.sh installs it): %v", err)
	}

	nonce := make([]byte, 6)
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	version := "e2e-" + hex.EncodeToString(nonce)
	binary := filepath.Join(t.TempDir(), "sotto-dev")
	build := exec.Command("go", "build", "-tags", "dev,webkit2_41",
		"-ldflags", "-X github.com/sotto-im/sotto/app.version="+version, "-o", binary, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the dev binary: %v\n%s", err, out)
	}

	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	display := startXvfb(t)
	logs := startApp(t, binary, appEnv(t, display,
		"devserver="+addr,
		"assetdir="+filepath.Join(root, "frontend", "dist"),
	), "--profile", "e2e_ui")
	if err := logs.waitFor("ui ready", 90*time.Second); err != nil {
		t.Fatalf("the app's own window never reported ready: %v\n%s", err, logs.String())
	}
	waitHTTP(t, "http://"+addr+"/", 30*time.Second)

	cmd := exec.Command("npx", "vitest", "run", "--config", "vitest.e2e.config.ts", "e2e/ui.e2e.ts")
	cmd.Dir = filepath.Join(root, "frontend")
	cmd.Env = append(os.Environ(),
		"SOTTO_UI_URL=http://"+addr+"/",
		"SOTTO_EXPECT_VERSION="+version,
		"SOTTO_ARTIFACTS="+artifactsDir(t),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("playwright:\n%s", out)
	if err != nil {
		t.Fatalf("UI test in Chromium failed: %v", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving after %v: %v", url, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
