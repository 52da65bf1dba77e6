package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMessagingUIInChromium drives two real Sotto clients through a real
// relay from Chromium (frontend/e2e/messaging.e2e.ts): Alice and Bob onboard
// (no keyring here, so both take the passphrase path), Alice writes to @bob,
// Bob accepts the request and replies, Alice's ticks move from sent to read,
// search finds an old message, and axe checks every screen on the way. Then
// Alice restarts and unlocks with her passphrase (frontend/e2e/restart.e2e.ts).
func TestMessagingUIInChromium(t *testing.T) {
	root, app, relayURL := devAppAndRelay(t)

	display := startXvfb(t)
	envs := map[string][]string{}
	stops := map[string]func(){}
	urls := map[string]string{}
	start := func(who string) {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		if envs[who] == nil {
			envs[who] = appEnv(t, display, "assetdir="+filepath.Join(root, "frontend", "dist"))
		}
		env := append(append([]string{}, envs[who]...), "devserver="+addr)
		logs, stop := startDevApp(t, app, env, "--profile", "e2e_"+who, "--relay", relayURL)
		if err := logs.waitFor("ui ready", 90*time.Second); err != nil {
			t.Fatalf("%s's window never reported ready: %v\n%s", who, err, logs.String())
		}
		waitHTTP(t, "http://"+addr+"/", 30*time.Second)
		urls[who], stops[who] = "http://"+addr+"/", stop
	}
	start("alice")
	start("bob")

	runVitest(t, root, "e2e/messaging.e2e.ts",
		"SOTTO_ALICE_URL="+urls["alice"],
		"SOTTO_BOB_URL="+urls["bob"],
	)

	// Alice quits and starts again on the same profile: without a keyring
	// she unlocks with her passphrase and finds her history as she left it.
	stops["alice"]()
	start("alice")
	runVitest(t, root, "e2e/restart.e2e.ts", "SOTTO_RESTARTED_URL="+urls["alice"])
}

// runVitest runs one e2e file of the frontend with env added; the suites skip
// themselves without their URLs, so a skip here is a failure.
func runVitest(t *testing.T, root, file string, env ...string) {
	t.Helper()
	cmd := exec.Command("npx", "vitest", "run", "--config", "vitest.e2e.config.ts", file)
	cmd.Dir = filepath.Join(root, "frontend")
	cmd.Env = append(append(os.Environ(), "SOTTO_ARTIFACTS="+artifactsDir(t)), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("playwright %s:\n%s", file, out)
	if err != nil {
		t.Fatalf("%s in Chromium failed: %v", file, err)
	}
	if strings.Contains(string(out), "skipped") {
		t.Fatalf("%s was skipped", file)
	}
}

// startDevApp is startApp that can also be stopped before the test ends (to
// restart an app on the same profile). stop waits until the process is gone.
func startDevApp(t *testing.T, binary string, env []string, args ...string) (*logWatcher, func()) {
	t.Helper()
	logs := newLogWatcher()
	cmd := exec.Command("dbus-run-session", append([]string{"--", binary}, args...)...)
	cmd.Env = env
	cmd.Stdout = logs
	cmd.Stderr = logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binary, err)
	}
	pid := cmd.Process.Pid
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = syscall.Kill(-pid, syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				<-done
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			_ = os.WriteFile(filepath.Join(artifactsDir(t), t.Name()+"-"+strconv.Itoa(pid)+".log"), []byte(logs.String()), 0o644)
		}
	})
	return logs, stop
}
