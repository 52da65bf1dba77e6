package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"io"
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

// requireE2E skips unless SOTTO_E2E=1: these tests need Xvfb, a session bus,
// a built binary and Chromium, which `make test` provides (scripts/test.sh).
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("SOTTO_E2E") != "1" {
		t.Skip("set SOTTO_E2E=1 (make test does) to run the desktop end-to-end tests")
	}
}

// repoRoot is the checkout's top directory (this package lives in e2e/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// artifactsDir is where screenshots and logs are kept (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "e2e", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startProcess starts cmd in its own process group and kills the whole group
// (dbus-run-session, the app, WebKit's helpers) when the test ends.
func startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-done
		}
	})
}

// startXvfb starts a private X server and returns its DISPLAY value. The
// server picks a free display number itself (-displayfd).
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-br")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = io.Discard
	startProcess(t, cmd)
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not report a display: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("Xvfb reported display %q: %v", line, err)
	}
	return ":" + strconv.Itoa(n)
}

// logWatcher collects a process's output and lets a test wait for a line.
type logWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	cond *sync.Cond
}

func newLogWatcher() *logWatcher {
	l := &logWatcher{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *logWatcher) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.buf.Write(p)
	l.cond.Broadcast()
	return n, err
}

func (l *logWatcher) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

var errLogTimeout = errors.New("timed out waiting for log line")

// waitFor blocks until the output contains s or the timeout passes.
func (l *logWatcher) waitFor(s string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() {
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	defer stop.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for !strings.Contains(l.buf.String(), s) {
		if time.Now().After(deadline) {
			return errLogTimeout
		}
		l.cond.Wait()
	}
	return nil
}

// appEnv is a private environment for one app run: its own HOME, runtime dir
// and data dir, on the given X display.
func appEnv(t *testing.T, display string, extra ...string) []string {
	t.Helper()
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	run := filepath.Join(tmp, "run")
	for _, d := range []string{filepath.Join(home, ".cache"), filepath.Join(home, ".local", "share"), run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_RUNTIME_DIR=" + run,
		"DISPLAY=" + display,
		"SOTTO_DATA_DIR=" + filepath.Join(tmp, "data"),
		"LANG=C.UTF-8",
	}
	return append(env, extra...)
}

// startApp runs the desktop binary inside its own session bus and returns the
// watcher of its output.
func startApp(t *testing.T, binary string, env []string, args ...string) *logWatcher {
	t.Helper()
	logs := newLogWatcher()
	cmd := exec.Command("dbus-run-session", append([]string{"--", binary}, args...)...)
	cmd.Env = env
	cmd.Stdout = logs
	cmd.Stderr = logs
	startProcess(t, cmd)
	t.Cleanup(func() {
		if t.Failed() {
			_ = os.WriteFile(filepath.Join(artifactsDir(t), t.Name()+".log"), []byte(logs.String()), 0o644)
		}
	})
	return logs
}

// builtBinaries is build/bin, failing the test when one of the desktop app,
// the CLI or the relay is not built there.
func builtBinaries(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repoRoot(t), "build", "bin")
	for _, b := range []string{"sotto", "sotto-cli", "sotto-relay"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			t.Fatalf("no %s in %s (run make build): %v", b, bin, err)
		}
	}
	return bin
}

// appProfileDir is where the desktop app started with env keeps the profile
// called name (under its SOTTO_DATA_DIR).
func appProfileDir(t *testing.T, env []string, name string) string {
	t.Helper()
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "SOTTO_DATA_DIR="); ok {
			return filepath.Join(v, "profiles", name)
		}
	}
	t.Fatal("the app's environment sets no SOTTO_DATA_DIR")
	return ""
}

// cliRunner runs build/bin's sotto-cli with env and fails the test when a
// command fails.
func cliRunner(t *testing.T, bin string, env []string) func(args ...string) {
	return func(args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "sotto-cli"), args...)
		cmd.Env = env
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sotto-cli %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
}
