package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDesktopWindowsInstaller checks what make dist-windows built (make
// test-dist runs it when the installer is there; SOTTO_TEST_WINDOWS=1 makes
// its absence a failure): the NSIS script registers sotto:// links, the
// installer and sotto.exe are what `file` says they should be, the installer
// is under 25 MB, and sotto.exe runs under wine64 far enough to print its version
// (with the bcryptprimitives.dll stand-in from build/windows/wine).
func TestDesktopWindowsInstaller(t *testing.T) {
	if os.Getenv("SOTTO_TEST_DIST") != "1" {
		t.Skip("set SOTTO_TEST_DIST=1 (make test-dist) after make dist-windows")
	}
	root := repoRoot(t)
	dist := filepath.Join(root, "build", "bin", "dist")
	installers, _ := filepath.Glob(filepath.Join(dist, "Sotto-*-windows-amd64-installer.exe"))
	exes, _ := filepath.Glob(filepath.Join(dist, "sotto-*-windows-amd64.exe"))
	if len(installers) != 1 || len(exes) != 1 {
		if os.Getenv("SOTTO_TEST_WINDOWS") != "1" {
			t.Skipf("no Windows build in %s: run make dist-windows (SOTTO_TEST_WINDOWS=1 makes this a failure)", dist)
		}
		t.Fatalf("want one installer and one sotto.exe in %s (make dist-windows), found %v %v", dist, installers, exes)
	}
	// The goal is for what people download: the installer.
	for _, p := range append(installers, exes...) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.1f MB", filepath.Base(p), float64(st.Size())/(1<<20))
		if p == installers[0] && st.Size() > maxInstaller {
			t.Errorf("%s is %d bytes, over the 25 MB goal", filepath.Base(p), st.Size())
		}
	}

	t.Run("protocol registration", func(t *testing.T) {
		dir := filepath.Join(root, "build", "windows", "installer")
		tools, err := os.ReadFile(filepath.Join(dir, "wails_tools.nsh"))
		if err != nil {
			t.Fatalf("the NSIS macros wails writes: %v", err)
		}
		macro := regexp.MustCompile(`(?s)!macro wails\.associateCustomProtocols\b(.*?)!macroend`).FindSubmatch(tools)
		if macro == nil || !regexp.MustCompile(`!insertmacro CUSTOM_PROTOCOL_ASSOCIATE "sotto" "[^"]+" "\$INSTDIR\\\$\{PRODUCT_EXECUTABLE\},0" "\$INSTDIR\\\$\{PRODUCT_EXECUTABLE\} \$\\"%1\$\\""`).Match(macro[1]) {
			t.Errorf("wails_tools.nsh does not associate sotto:// with the executable and its link argument:\n%s", macro)
		}
		for _, want := range []string{`WriteRegStr SHELL_CONTEXT "Software\Classes\${PROTOCOL}" "URL Protocol" ""`,
			`WriteRegStr SHELL_CONTEXT "Software\Classes\${PROTOCOL}\shell\open\command" "" "${COMMAND}"`} {
			if !strings.Contains(string(tools), want) {
				t.Errorf("wails_tools.nsh lacks %s", want)
			}
		}
		project, err := os.ReadFile(filepath.Join(dir, "project.nsi"))
		if err != nil {
			t.Fatal(err)
		}
		install := regexp.MustCompile(`(?s)\nSection\s*\n(.*?)\nSectionEnd`).FindSubmatch(project)
		if install == nil || !regexp.MustCompile(`(?m)^\s*!insertmacro wails\.associateCustomProtocols\s*$`).Match(install[1]) {
			t.Errorf("project.nsi's install section does not register the protocols")
		}
	})

	t.Run("file", func(t *testing.T) {
		if out := run(t, "file", "-b", exes[0]); !strings.HasPrefix(out, "PE32+ executable (GUI) x86-64") {
			t.Errorf("file %s: %s", filepath.Base(exes[0]), out)
		}
		if out := run(t, "file", "-b", installers[0]); !strings.Contains(out, "PE32") || !strings.Contains(out, "Nullsoft Installer") {
			t.Errorf("file %s: %s", filepath.Base(installers[0]), out)
		}
	})

	t.Run("wine version", func(t *testing.T) {
		wine := lookWine64()
		mingw, err := exec.LookPath("x86_64-w64-mingw32-gcc")
		if wine == "" || err != nil {
			if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
				t.Fatal("wine64 or mingw-w64 missing (apt install wine64 gcc-mingw-w64-x86-64)")
			}
			t.Skip("wine64 or mingw-w64 missing")
		}
		tmp := t.TempDir()
		dll := filepath.Join(tmp, "bcryptprimitives.dll")
		run(t, mingw, "-shared", "-O2", "-o", dll, filepath.Join(root, "build", "windows", "wine", "bcryptprimitives.c"), "-ladvapi32")
		env := append(os.Environ(), "WINEPREFIX="+filepath.Join(tmp, "prefix"), "WINEDEBUG=-all",
			"WINEDLLOVERRIDES=mscoree,mshtml=", "DISPLAY=")
		wineRun := func(args ...string) (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, wine, args...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		if out, err := wineRun("wineboot", "-i"); err != nil {
			t.Fatalf("wineboot: %v\n%s", err, out)
		}
		// wineboot returns before wineserver has written the prefix: stop it.
		if server := lookWineserver(wine); server != "" {
			stop := exec.Command(server, "-w")
			stop.Env = env
			_ = stop.Run()
		}
		b, err := os.ReadFile(dll)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "prefix", "drive_c", "windows", "system32", "bcryptprimitives.dll"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := wineRun(exes[0], "--version")
		// The exe's name carries the version the script gave it.
		want := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(exes[0]), "sotto-"), "-windows-amd64.exe")
		if err != nil || !strings.Contains(out, "sotto "+want+" ") || !strings.Contains(out, "windows/amd64") {
			t.Fatalf("wine64 sotto.exe --version: %v\n%s", err, out)
		}
		t.Logf("wine64 sotto.exe --version: %s", strings.TrimSpace(out))
	})
}

// lookWine64 finds Debian's wine64 loader (the wine64 package installs it
// outside PATH; the wine package adds /usr/bin/wine64).
func lookWine64() string {
	if p, err := exec.LookPath("wine64"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/lib/wine/wine64"); err == nil {
		return "/usr/lib/wine/wine64"
	}
	return ""
}

// lookWineserver finds the wineserver that goes with wine.
func lookWineserver(wine string) string {
	for _, p := range []string{filepath.Join(filepath.Dir(wine), "wineserver"), filepath.Join(filepath.Dir(wine), "wineserver64")} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
