package e2e

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDesktopWindowConversation: the real window with a conversation open.
// Two accounts are made with the CLI on a relay process, a message goes each
// way, then the desktop app opens Alice's profile: the passphrase is typed
// into its unlock screen and the conversation clicked (xdotool); the screen
// is checked and kept: the shell is there and the pane holds Alice's own
// bubble in the accent colour.
func TestDesktopWindowConversation(t *testing.T) {
	requireE2E(t)
	bin := builtBinaries(t)
	url := startRelayProcess(t, bin)

	display := startXvfb(t)
	// No session bus: no keyring, so the profile is protected by a
	// passphrase, which is typed into the real window's unlock screen.
	env := appEnv(t, display, "SOTTO_PASSPHRASE="+windowPassphrase)

	aliceDir := appProfileDir(t, env, "alice")
	bobDir := filepath.Join(t.TempDir(), "bob")
	cli := cliRunner(t, bin, env)
	cli("--profile", aliceDir, "init", "--handle", "alice", "--relay", url)
	cli("--profile", bobDir, "init", "--handle", "bob", "--relay", url)
	cli("--profile", aliceDir, "send", "@bob", "Hi Bob, this is the real window.")
	cli("--profile", bobDir, "listen", "--for", "2s")
	cli("--profile", bobDir, "send", "@alice", "Hi Alice! Reading you in WebKit.")
	cli("--profile", aliceDir, "listen", "--for", "2s")

	app := exec.Command(filepath.Join(bin, "sotto"), "--profile", "alice")
	logs := newLogWatcher()
	app.Env, app.Stdout, app.Stderr = env, logs, logs
	startProcess(t, app)
	if err := logs.waitFor("ui ready", 90*time.Second); err != nil {
		t.Fatalf("the UI never reported ready: %v\n%s", err, logs.String())
	}
	win := strings.TrimSpace(xdotool(t, env, "search", "--onlyvisible", "--name", "^Sotto$"))
	if i := strings.IndexByte(win, '\n'); i > 0 {
		win = win[:i]
	}
	// The unlock screen has focus on its passphrase field.
	// Without a window manager nothing gives the window keyboard focus:
	// set it, click into the field, then type.
	time.Sleep(2 * time.Second)
	xdotool(t, env, "windowfocus", win)
	xdotool(t, env, "mousemove", "--window", win, "700", "392", "click", "1")
	xdotool(t, env, "type", "--delay", "20", windowPassphrase)
	xdotool(t, env, "key", "Return")
	// Argon2id and the first list take a moment: click the first
	// conversation row of the sidebar until the conversation shows.
	shot := filepath.Join(artifactsDir(t), "window-conversation.png")
	for deadline := time.Now().Add(30 * time.Second); ; {
		time.Sleep(2 * time.Second)
		xdotool(t, env, "mousemove", "--window", win, "150", "115", "click", "1")
		time.Sleep(time.Second)
		if b, err := exec.Command("import", "-display", display, "-window", "root", shot).CombinedOutput(); err != nil {
			t.Fatalf("screenshot: %v\n%s", err, b)
		}
		if accentPixelsInPane(t, shot) >= 2000 || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("screenshot: %s", shot)
	if err := checkShell(shot); err != nil {
		t.Fatalf("%s does not show the shell: %v", shot, err)
	}
	if n := accentPixelsInPane(t, shot); n < 2000 {
		t.Fatalf("%s: no conversation open (only %d accent-coloured pixels in the pane)\n%s", shot, n, logs.String())
	}
}

const windowPassphrase = "window test passphrase"

func xdotool(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = env
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("xdotool %s: %v", strings.Join(args, " "), err)
	}
	return string(b)
}

// accentPixelsInPane counts pixels of the outgoing-bubble colour (--accent,
// light or dark theme) right of the sidebar.
func accentPixelsInPane(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	win, err := windowBounds(img)
	if err != nil {
		t.Fatal(err)
	}
	accents := []color.RGBA{{0x24, 0x59, 0xc7, 0xff}, {0x8f, 0xb2, 0xff, 0xff}}
	n := 0
	pane := image.Rect(win.Min.X+sidebarWidth+8, win.Min.Y+60, win.Max.X-8, win.Max.Y-80)
	for y := pane.Min.Y; y < pane.Max.Y; y++ {
		for x := pane.Min.X; x < pane.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			for _, a := range accents {
				if near(c, a) {
					n++
				}
			}
		}
	}
	return n
}
