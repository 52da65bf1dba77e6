package autostart

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestEnableDisableXDG: Enable writes the autostart file where the XDG spec
// says, with an Exec line that survives spaces and specials; Disable
// removes it and is idempotent.
func TestEnableDisableXDG(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("XDG autostart is the Linux implementation")
	}
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	e := Entry{Name: "sotto-work", DisplayName: "Sotto (work)", Exec: "/opt/My Apps/sotto", Args: []string{"--profile", "work", "--hidden"}}
	if on, err := Enabled(e.Name); err != nil || on {
		t.Fatalf("enabled before Enable: %v %v", on, err)
	}
	if err := Enable(e); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg, "autostart", "sotto-work.desktop")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no autostart file: %v", err)
	}
	for _, want := range []string{"[Desktop Entry]\n", "Type=Application\n", "Name=Sotto (work)\n",
		`Exec="/opt/My Apps/sotto" --profile work --hidden` + "\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("autostart file lacks %q:\n%s", want, b)
		}
	}
	if on, err := Enabled(e.Name); err != nil || !on {
		t.Fatalf("not enabled after Enable: %v %v", on, err)
	}
	if err := Disable(e.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file still there after Disable: %v", err)
	}
	if err := Disable(e.Name); err != nil {
		t.Fatalf("second Disable: %v", err)
	}
	if err := Enable(Entry{Name: "../evil", Exec: "/bin/sh"}); err != ErrInvalidName {
		t.Fatalf("a path as a name: %v", err)
	}
}

func TestDesktopQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/sotto": "/usr/bin/sotto",
		"a b":            `"a b"`,
		`say "hi"`:       `"say \\"hi\\""`,
		`C:\x`:           `"C:\\\\x"`,
		"100%":           "100%%",
		"$HOME":          `"\\$HOME"`,
		"":               `""`,
	} {
		if got := desktopQuote(in); got != want {
			t.Errorf("desktopQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestWindowsCommandLine(t *testing.T) {
	got := windowsCommandLine(Entry{Exec: `C:\Program Files\Sotto\sotto.exe`, Args: []string{"--hidden", `a "b"`, `dir\`}})
	want := `"C:\Program Files\Sotto\sotto.exe" --hidden "a \"b\"" dir\`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := windowsQuote(`x y\`); got != `"x y\\"` {
		t.Fatalf("trailing backslash: %s", got)
	}
}

func TestLaunchAgent(t *testing.T) {
	p := launchAgent(Entry{Name: "sotto", Exec: "/Applications/Sotto.app/Contents/MacOS/Sotto", Args: []string{"--hidden", "<&>"}})
	for _, want := range []string{"<string>im.sotto.sotto</string>", "<string>/Applications/Sotto.app/Contents/MacOS/Sotto</string>",
		"<string>--hidden</string>", "<string>&lt;&amp;&gt;</string>", "<key>RunAtLoad</key>\n\t<true/>"} {
		if !strings.Contains(p, want) {
			t.Errorf("plist lacks %q:\n%s", want, p)
		}
	}
}

func TestDesktopEntryOneLine(t *testing.T) {
	d := desktopEntry(Entry{Name: "sotto", DisplayName: "Sotto\nExec=/bin/evil", Exec: "/usr/bin/sotto"})
	if strings.Contains(d, "\nExec=/bin/evil") {
		t.Fatalf("a display name added a key:\n%s", d)
	}
}
