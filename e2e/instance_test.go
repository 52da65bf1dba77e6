package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSessionBus starts a private session D-Bus and returns its address, so
// several app processes can share one bus (the single-instance lock lives there).
func startSessionBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	startProcess(t, cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestSingleInstancePerProfile: a second launch of the same profile hands over
// to the running window and exits; another profile opens a window of its own.
func TestSingleInstancePerProfile(t *testing.T) {
	requireE2E(t)
	binary := filepath.Join(repoRoot(t), "build", "bin", "sotto")
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("no app binary at %s (run make build): %v", binary, err)
	}
	display := startXvfb(t)
	env := appEnv(t, display, "DBUS_SESSION_BUS_ADDRESS="+startSessionBus(t))

	run := func(profile string) (*exec.Cmd, *logWatcher) {
		logs := newLogWatcher()
		cmd := exec.Command(binary, "--profile", profile)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, logs, logs
		startProcess(t, cmd)
		return cmd, logs
	}

	first, firstLogs := run("alice")
	if err := firstLogs.waitFor("ui ready", 90*time.Second); err != nil {
		t.Fatalf("first instance never reported ready: %v\n%s", err, firstLogs.String())
	}

	second, secondLogs := run("alice")
	exited := make(chan error, 1)
	go func() { exited <- second.Wait() }()
	select {
	case <-exited:
		// Wails exits the second instance after handing its arguments over.
	case <-time.After(30 * time.Second):
		t.Fatalf("second instance of the same profile is still running\n%s", secondLogs.String())
	}
	if strings.Contains(secondLogs.String(), "ui ready") {
		t.Fatal("second instance of the same profile opened its own UI")
	}
	if err := firstLogs.waitFor("second instance handed over", 10*time.Second); err != nil {
		t.Fatalf("the running instance never heard from the second launch: %v\n%s", err, firstLogs.String())
	}
	if err := first.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("first instance is gone after the second one started: %v", err)
	}

	_, otherLogs := run("bob")
	if err := otherLogs.waitFor("ui ready", 90*time.Second); err != nil {
		t.Fatalf("another profile did not get its own window: %v\n%s", err, otherLogs.String())
	}
}
