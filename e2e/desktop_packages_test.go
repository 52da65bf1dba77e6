package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxInstaller is the size goal for each installer.
const maxInstaller = 25 << 20

// TestDesktopPackages checks what make dist built (make test-dist runs it):
// the .deb unpacks into a throwaway root with the binary, a valid desktop
// entry that registers sotto:// links, icons and metadata; it declares the
// runtime libraries; rpm reads the .rpm; both stay under 25 MB; and an XDG
// data directory with the entry makes Sotto the sotto:// handler.
func TestDesktopPackages(t *testing.T) {
	if os.Getenv("SOTTO_TEST_DIST") != "1" {
		t.Skip("set SOTTO_TEST_DIST=1 (make test-dist) after make dist")
	}
	dist := filepath.Join(repoRoot(t), "build", "bin", "dist")
	debs, _ := filepath.Glob(filepath.Join(dist, "sotto_*_amd64.deb"))
	rpms, _ := filepath.Glob(filepath.Join(dist, "sotto-*.x86_64.rpm"))
	if len(debs) != 1 || len(rpms) != 1 {
		t.Fatalf("want one .deb and one .rpm in %s (make dist), found %v %v", dist, debs, rpms)
	}
	for _, p := range append(debs, rpms...) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.1f MB", filepath.Base(p), float64(st.Size())/(1<<20))
		if st.Size() > maxInstaller {
			t.Errorf("%s is %d bytes, over the 25 MB goal", filepath.Base(p), st.Size())
		}
	}

	root := t.TempDir()
	run(t, "dpkg", "-x", debs[0], root)
	for _, f := range []string{"usr/bin/sotto", "usr/share/applications/sotto.desktop", "usr/share/metainfo/im.sotto.Sotto.metainfo.xml",
		"usr/share/icons/hicolor/16x16/apps/sotto.png", "usr/share/icons/hicolor/256x256/apps/sotto.png", "usr/share/icons/hicolor/512x512/apps/sotto.png"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("the .deb lacks /%s", f)
		}
	}
	entry := filepath.Join(root, "usr/share/applications/sotto.desktop")
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nExec=sotto %u\n", "\nMimeType=x-scheme-handler/sotto;\n", "\nIcon=sotto\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("desktop entry lacks %q:\n%s", strings.TrimSpace(want), b)
		}
	}
	if _, err := exec.LookPath("desktop-file-validate"); err == nil {
		run(t, "desktop-file-validate", entry)
	} else if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
		t.Error("desktop-file-validate missing (apt install desktop-file-utils)")
	}
	info := run(t, "dpkg-deb", "-I", debs[0])
	for _, dep := range []string{"libwebkit2gtk-4.1-0", "libgtk-3-0", "libvpx7"} {
		if !strings.Contains(info, dep) {
			t.Errorf("the .deb does not depend on %s:\n%s", dep, info)
		}
	}
	// The libraries the binary links are all declared.
	ldd := run(t, "ldd", filepath.Join(root, "usr/bin/sotto"))
	for lib, pkg := range map[string]string{"libwebkit2gtk-4.1.so": "libwebkit2gtk-4.1-0", "libgtk-3.so": "libgtk-3-0", "libvpx.so": "libvpx7"} {
		if strings.Contains(ldd, lib) && !strings.Contains(info, pkg) {
			t.Errorf("the binary links %s but the .deb does not depend on %s", lib, pkg)
		}
	}
	rpmInfo := run(t, "rpm", "-qip", rpms[0])
	if !strings.Contains(rpmInfo, "Name        : sotto") {
		t.Errorf("rpm -qip:\n%s", rpmInfo)
	}
	files := run(t, "rpm", "-qlp", rpms[0])
	for _, f := range []string{"/usr/bin/sotto", "/usr/share/applications/sotto.desktop"} {
		if !strings.Contains(files, f+"\n") {
			t.Errorf("the .rpm lacks %s:\n%s", f, files)
		}
	}

	// Registered in a throwaway XDG data dir, the entry is the sotto:// handler.
	if _, err := exec.LookPath("xdg-mime"); err == nil {
		data := filepath.Join(root, "usr", "share")
		home := t.TempDir()
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_DATA_HOME=" + data, "XDG_DATA_DIRS=" + data,
			"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CURRENT_DESKTOP=X-Generic"}
		if _, err := exec.LookPath("update-desktop-database"); err == nil {
			run(t, "update-desktop-database", filepath.Join(data, "applications"))
		}
		cmd := exec.Command("xdg-mime", "query", "default", "x-scheme-handler/sotto")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "sotto.desktop" {
			t.Errorf("xdg-mime: the sotto:// handler is %q (%v)", out, err)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
