package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/desktop/desktoptest"
	"github.com/sotto-im/sotto/desktop/tray"
)

// TestDesktopIntegration: the real app under Xvfb on a private session bus
// where the test plays the desktop (a fake notification server and tray
// watcher recording every call, kept in artifacts/desktop-bus.jsonl) and
// gnome-keyring keeps the keys.
//   - cold start with sotto://call/@bob?video=1 → the pre-call screen for
//     @bob (the UI reports it; a screenshot is kept), no call;
//   - the tray registers and its menu has Open, Start call…, Do not
//     disturb, Quit;
//   - a second launch hands over sotto://chat/@bob → the chat screen for
//     @bob; a malformed link is ignored with a log line;
//   - a message from Bob (the CLI) → a notification with his name and text;
//     clicking it (ActionInvoked) → the window opens that chat;
//   - a call from Carol (the CLI; she and Alice wrote to each other before
//     the window opened, so calls from her ring) → a notification with
//     Accept and Decline; invoking Accept answers: Carol's CLI reports the
//     call connected, and the ring is withdrawn.
func TestDesktopIntegration(t *testing.T) {
	requireE2E(t)
	bin := builtBinaries(t)
	if _, err := exec.LookPath("gnome-keyring-daemon"); err != nil {
		t.Fatal("gnome-keyring-daemon missing (apt install gnome-keyring)")
	}
	url := startRelayProcess(t, bin)
	display := startXvfb(t)
	bus := startSessionBus(t)
	fake, err := desktoptest.Start(bus, filepath.Join(artifactsDir(t), "desktop-bus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	env := appEnv(t, display, "DBUS_SESSION_BUS_ADDRESS="+bus)
	unlockKeyring(t, env, bus)

	aliceDir := appProfileDir(t, env, "alice")
	bobDir := filepath.Join(t.TempDir(), "bob")
	cli := cliRunner(t, bin, env)
	cli("--profile", aliceDir, "init", "--handle", "alice", "--relay", url)
	cli("--profile", bobDir, "init", "--handle", "bob", "--relay", url)
	// Calls ring only from accepted contacts: Alice and Carol write to each
	// other first, and Alice reads Carol's message before the window opens
	// (so it does not notify).
	carolDir := filepath.Join(t.TempDir(), "carol")
	cli("--profile", carolDir, "init", "--handle", "carol", "--relay", url)
	cli("--profile", aliceDir, "send", "@carol", "Hi Carol")
	cli("--profile", carolDir, "send", "@alice", "Hi Alice")
	cli("--profile", aliceDir, "listen", "--for", "5s")

	app := exec.Command(filepath.Join(bin, "sotto"), "--profile", "alice", "sotto://call/@Bob?video=1")
	logs := newLogWatcher()
	// No camera or microphone here; calls stay on 127.0.0.1.
	app.Env, app.Stdout, app.Stderr = append(env, "SOTTO_FAKE_MEDIA=1", "SOTTO_TEST_LOOPBACK_CALLS=1"), logs, logs
	startProcess(t, app)
	t.Cleanup(func() {
		if t.Failed() {
			_ = os.WriteFile(filepath.Join(artifactsDir(t), "desktop-integration.log"), []byte(logs.String()), 0o644)
		}
	})
	wait := func(s string, d time.Duration) {
		t.Helper()
		if err := logs.waitFor(s, d); err != nil {
			t.Fatalf("the app never logged %q: %v\n%s", s, err, logs.String())
		}
	}
	wait("ui ready", 90*time.Second)
	wait(`msg="link opened" action=call video=true`, 10*time.Second)
	wait(`msg="screen shown" screen=precall linkHandle=true`, 30*time.Second)
	time.Sleep(time.Second)
	shot := filepath.Join(artifactsDir(t), "desktop-precall.png")
	if b, err := exec.Command("import", "-display", display, "-window", "root", shot).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, b)
	}
	t.Logf("screenshot: %s", shot)
	if strings.Contains(logs.String(), "call started") || strings.Contains(logs.String(), "state=calling") {
		t.Fatal("a call link rang")
	}

	if !fake.Wait(30*time.Second, func() bool { return len(fake.Items()) > 0 }) {
		t.Fatalf("the tray never registered with the watcher\n%s", logs.String())
	}
	var labels []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if menu, err := fake.Menu(fake.Items()[0]); err == nil {
			if labels = desktoptest.Labels(menu); slices.Equal(labels, tray.Labels) {
				break
			}
		}
	}
	if !slices.Equal(labels, tray.Labels) {
		t.Fatalf("tray menu %q, want %q", labels, tray.Labels)
	}

	second := exec.Command(filepath.Join(bin, "sotto"), "--profile", "alice", "sotto://ring/@bob", "sotto://chat/@bob")
	second.Env = env
	if out, err := second.CombinedOutput(); strings.Contains(string(out), "ui ready") {
		t.Fatalf("the second launch opened its own window (%v)\n%s", err, out)
	}
	wait("second instance handed over", 20*time.Second)
	wait(`msg="link ignored"`, 10*time.Second)
	wait(`msg="link opened" action=chat`, 10*time.Second)
	wait(`msg="screen shown" screen=chat linkHandle=true`, 30*time.Second)

	cli("--profile", bobDir, "send", "@alice", "Hello from Bob's terminal")
	n, ok := fake.WaitNotify(60*time.Second, 0, func(n desktoptest.Notify) bool { return n.Sender != "" })
	if !ok {
		t.Fatalf("no notification for Bob's message\n%s", logs.String())
	}
	if n.Summary != "Message request from @bob" || n.Body != "Hello from Bob's terminal" || n.AppName != "Sotto" || n.Entry != "sotto" {
		t.Fatalf("notification %+v", n)
	}
	before := strings.Count(logs.String(), `screen=chat`)
	// Invoke only once the app has wired the click (see the call below).
	wait(`msg="notification shown" kind=message`, 10*time.Second)
	if err := fake.Invoke(n.ID, "default"); err != nil {
		t.Fatal(err)
	}
	wait(`msg="notification clicked"`, 20*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(logs.String(), `screen=chat`) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("clicking the notification did not open the chat\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Carol calls; Alice answers from the notification.
	skip := len(fake.Notifications())
	carolOut := newLogWatcher()
	callCtx, stopCall := context.WithTimeout(context.Background(), 3*time.Minute)
	call := exec.CommandContext(callCtx, filepath.Join(bin, "sotto-cli"), "--profile", carolDir, "call", "@alice", "--for", "3s")
	call.Env, call.Stdout, call.Stderr = append(env, "SOTTO_TEST_LOOPBACK_CALLS=1"), carolOut, carolOut
	if err := call.Start(); err != nil {
		t.Fatal(err)
	}
	callDone := make(chan error, 1)
	go func() { callDone <- call.Wait() }()
	defer func() {
		stopCall()
		<-callDone
	}()
	ring, ok := fake.WaitNotify(60*time.Second, skip, func(n desktoptest.Notify) bool { return n.Category == "call.incoming" })
	if !ok {
		t.Fatalf("no notification for Carol's call\napp:\n%s\ncarol:\n%s", logs.String(), carolOut.String())
	}
	if !slices.Contains(ring.ActionKeys(), "accept") || !slices.Contains(ring.ActionKeys(), "decline") || !strings.Contains(ring.Summary+ring.Body, "@carol") {
		t.Fatalf("incoming-call notification %+v: want Accept and Decline, naming @carol", ring)
	}
	t.Logf("ringing: %q %q, actions %q", ring.Summary, ring.Body, ring.Actions)
	// The app logs once Show has returned and the buttons are wired: a
	// signal before that finds no notification to act on (a server answers
	// that fast only in tests).
	wait(`msg="notification shown" kind=incoming-call`, 10*time.Second)
	if err := fake.Invoke(ring.ID, "accept"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-callDone:
		callDone <- err // for the deferred wait
		if err != nil {
			t.Fatalf("sotto-cli call: %v\n%s", err, carolOut.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("Carol's call did not end\napp:\n%s\ncarol:\n%s", logs.String(), carolOut.String())
	}
	out := carolOut.String()
	if !strings.Contains(out, "call with @alice: connected") || !strings.Contains(out, "call with @alice ended: ") {
		t.Fatalf("Carol's CLI never reported the call connected:\n%s\napp:\n%s", out, logs.String())
	}
	t.Logf("carol: %s", strings.TrimSpace(out))
	withdrawn := fake.Wait(10*time.Second, func() bool {
		for _, r := range fake.Records() {
			if r.Call == "CloseNotification" && r.ID == ring.ID {
				return true
			}
		}
		return false
	})
	if !withdrawn {
		t.Errorf("the ringing notification was not withdrawn once the call was answered")
	}
}

// startRelayProcess runs the relay binary on a loopback port with a cheap
// proof of work and returns its URL.
func startRelayProcess(t *testing.T, bin string) string {
	t.Helper()
	relay := exec.Command(filepath.Join(bin, "sotto-relay"), "serve", "--listen", "127.0.0.1:0", "--insecure-loopback",
		"--store", "sqlite:"+filepath.Join(t.TempDir(), "relay.db"), "--pow-bits", "1", "--pow-memory", "8", "--pow-time", "1")
	out, err := relay.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	startProcess(t, relay)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("relay printed no address: %v", err)
	}
	_, url, _ := strings.Cut(strings.TrimSpace(line), " on ")
	return url
}

// unlockKeyring starts gnome-keyring's Secret Service on the test's bus,
// unlocked, so the CLI and the app keep their keys there.
func unlockKeyring(t *testing.T, env []string, bus string) {
	t.Helper()
	cmd := exec.Command("gnome-keyring-daemon", "--unlock", "--components=secrets")
	cmd.Env = env
	cmd.Stdin = strings.NewReader("sotto-e2e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gnome-keyring-daemon: %v\n%s", err, out)
	}
	for i := 0; i < 100; i++ {
		q := exec.Command("dbus-send", "--bus="+bus, "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
			"org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
		if out, err := q.Output(); err == nil && strings.Contains(string(out), "boolean true") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("gnome-keyring never took org.freedesktop.secrets")
}
