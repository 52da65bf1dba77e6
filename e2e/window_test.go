package e2e

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The shell's background colours (frontend/src/app.css): the screenshot must
// show the sidebar and the main pane in one of the two themes.
var themes = []struct {
	name          string
	sidebar, pane color.RGBA
}{
	{"light", color.RGBA{0xec, 0xef, 0xf3, 0xff}, color.RGBA{0xff, 0xff, 0xff, 0xff}},
	{"dark", color.RGBA{0x1c, 0x1f, 0x24, 0xff}, color.RGBA{0x24, 0x27, 0x2d, 0xff}},
}

const sidebarWidth = 300 // CSS px at scale 1, --sidebar-width

// TestDesktopWindow runs the real production binary (make build) in a real
// window under Xvfb, waits until the UI has mounted and called the backend,
// takes a screenshot of the screen and checks that it shows the shell.
func TestDesktopWindow(t *testing.T) {
	requireE2E(t)
	binary := os.Getenv("SOTTO_APP_BINARY")
	if binary == "" {
		binary = filepath.Join(repoRoot(t), "build", "bin", "sotto")
	}
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("no app binary at %s (run make build): %v", binary, err)
	}

	display := startXvfb(t)
	logs := startApp(t, binary, appEnv(t, display), "--profile", "e2e")
	if err := logs.waitFor("ui ready", 90*time.Second); err != nil {
		t.Fatalf("the UI never reported ready: %v\n%s", err, logs.String())
	}
	// The page has called the backend from onMount; give WebKit a moment to
	// paint the frame it has laid out.
	time.Sleep(1500 * time.Millisecond)

	shot := filepath.Join(artifactsDir(t), "window.png")
	out, err := exec.Command("import", "-display", display, "-window", "root", shot).CombinedOutput()
	if err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	t.Logf("screenshot: %s", shot)
	if err := checkShell(shot); err != nil {
		t.Fatalf("%s does not show the shell: %v", shot, err)
	}
}

// checkShell finds the window on the (black) root, then requires the left
// strip to be the sidebar's colour, the rest the pane's, both in one theme,
// and the sidebar to carry rendered text (not a flat fill).
func checkShell(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode screenshot: %w", err)
	}
	win, err := windowBounds(img)
	if err != nil {
		return err
	}
	if win.Dx() < 2*sidebarWidth || win.Dy() < 300 {
		return fmt.Errorf("window is only %v", win)
	}
	sidebar := image.Rect(win.Min.X+8, win.Min.Y+8, win.Min.X+sidebarWidth-8, win.Max.Y-8)
	pane := image.Rect(win.Min.X+sidebarWidth+8, win.Min.Y+8, win.Max.X-8, win.Max.Y-8)
	sideColor, sideShare := dominant(img, sidebar)
	paneColor, paneShare := dominant(img, pane)
	for _, th := range themes {
		if near(sideColor, th.sidebar) && near(paneColor, th.pane) {
			if sideShare < 0.6 || paneShare < 0.6 {
				return fmt.Errorf("%s theme found but regions are not mostly background (sidebar %.2f, pane %.2f)", th.name, sideShare, paneShare)
			}
			if sideShare > 0.995 {
				return fmt.Errorf("sidebar is a flat fill: no text rendered")
			}
			return nil
		}
	}
	return fmt.Errorf("sidebar colour %v (%.2f) and pane colour %v (%.2f) match no theme", sideColor, sideShare, paneColor, paneShare)
}

// windowBounds is the bounding box of the non-black pixels: Xvfb runs with a
// black root (-br) and no window manager, so that is the app's window.
func windowBounds(img image.Image) (image.Rectangle, error) {
	b := img.Bounds()
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, b.Min.X, b.Min.Y
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r|g|bl == 0 {
				continue
			}
			minX, minY = min(minX, x), min(minY, y)
			maxX, maxY = max(maxX, x+1), max(maxY, y+1)
		}
	}
	if minX >= maxX {
		return image.Rectangle{}, fmt.Errorf("the screen is black: no window")
	}
	return image.Rect(minX, minY, maxX, maxY), nil
}

// dominant returns the most frequent colour in r and its share of the pixels.
func dominant(img image.Image, r image.Rectangle) (color.RGBA, float64) {
	counts := map[color.RGBA]int{}
	total := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			counts[c]++
			total++
		}
	}
	var best color.RGBA
	for c, n := range counts {
		if n > counts[best] {
			best = c
		}
	}
	if total == 0 {
		return best, 0
	}
	return best, float64(counts[best]) / float64(total)
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) <= 3 && d(a.G, b.G) <= 3 && d(a.B, b.B) <= 3
}
