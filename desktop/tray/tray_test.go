package tray

import (
	"image"
	"image/color"
	"slices"
	"testing"
	"time"

	"github.com/sotto-im/sotto/desktop/desktoptest"
)

func plainIcon() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = 0x40
	}
	return Scale(img)
}

func near(a, b color.NRGBA) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) < 24 && d(a.G, b.G) < 24 && d(a.B, b.B) < 24 && d(a.A, b.A) < 24
}

// badgePixels counts badge-red and white pixels in the icon's top-right quarter.
func badgePixels(img image.Image) (red, white int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Min.Y+b.Dy()/2; y++ {
		for x := b.Min.X + b.Dx()/2; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			switch {
			case near(c, BadgeColor):
				red++
			case near(c, color.NRGBA{0xff, 0xff, 0xff, 0xff}):
				white++
			}
		}
	}
	return red, white
}

func TestBadge(t *testing.T) {
	base := plainIcon()
	if red, white := badgePixels(Badge(base, 0)); red != 0 || white != 0 {
		t.Fatalf("no unread but a badge: %d red, %d white", red, white)
	}
	three, nine := Badge(base, 3), Badge(base, 12)
	red, white := badgePixels(three)
	if red < 500 || white < 30 {
		t.Fatalf("badge for 3: %d red, %d white pixels", red, white)
	}
	if slices.Equal(three.Pix, nine.Pix) {
		t.Fatal("3 and 12 unread draw the same badge")
	}
	if _, w9 := badgePixels(nine); w9 <= white {
		t.Fatalf("9+ has no more ink (%d) than 3 (%d)", w9, white)
	}
	if got := []string{BadgeText(0), BadgeText(1), BadgeText(9), BadgeText(10), BadgeText(500)}; !slices.Equal(got, []string{"", "1", "9", "9+", "9+"}) {
		t.Fatalf("badge texts %v", got)
	}
}

// TestTrayOnTheBus: under a private session bus the tray registers with the
// StatusNotifierWatcher; a panel reading its menu sees Open, Start call…,
// Do not disturb (three choices) and Quit; clicking runs the callbacks;
// the icon a panel draws carries the unread badge.
func TestTrayOnTheBus(t *testing.T) {
	addr := desktoptest.Bus(t)
	fake, err := desktoptest.Start(addr, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)

	clicks := make(chan string, 8)
	tr := Start(Options{Icon: plainIcon(), Tooltip: "Sotto", Menu: Menu{
		Open:         func() { clicks <- "open" },
		StartCall:    func() { clicks <- "call" },
		DoNotDisturb: func(d DND) { clicks <- DNDLabels[d] },
		Quit:         func() { clicks <- "quit" },
	}})
	defer tr.Stop()
	if !fake.Wait(10*time.Second, func() bool { return len(fake.Items()) > 0 }) {
		t.Fatal("the tray never registered with the watcher")
	}
	item := fake.Items()[0]
	var menu []desktoptest.MenuEntry
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		// systray answers the first GetLayout one level deep (then
		// announces a new layout), as panels expect: read until complete.
		menu, err = fake.Menu(item)
		dnd, _ := desktoptest.Find(menu, "Do not disturb")
		if err == nil && len(dnd.Children) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := desktoptest.Labels(menu); !slices.Equal(got, Labels) {
		t.Fatalf("menu %q, want %q", got, Labels)
	}
	dnd, _ := desktoptest.Find(menu, "Do not disturb")
	if got := desktoptest.Labels(dnd.Children); !slices.Equal(got, []string{"For 1 hour", "Until tomorrow, 8:00", "Off"}) {
		t.Fatalf("Do not disturb submenu %q", got)
	}

	for _, c := range []struct {
		path []string
		want string
	}{{[]string{"Open Sotto"}, "open"}, {[]string{"Start call…"}, "call"}, {[]string{"Do not disturb", "For 1 hour"}, "For 1 hour"}, {[]string{"Quit Sotto"}, "quit"}} {
		if err := fake.Click(item, c.path...); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-clicks:
			if got != c.want {
				t.Fatalf("clicked %q, ran %q", c.path, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("clicking %q ran nothing", c.path)
		}
	}

	tr.SetUnread(4)
	tr.SetDoNotDisturb(DNDHour, "until 15:00")
	var red int
	for deadline := time.Now().Add(5 * time.Second); red < 300 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		icon, err := fake.Icon(item)
		if err != nil {
			t.Fatal(err)
		}
		if icon.Bounds().Dx() != IconSize {
			t.Fatalf("icon is %v", icon.Bounds())
		}
		red, _ = badgePixels(icon)
	}
	if red < 300 {
		t.Fatalf("4 unread, but the icon a panel reads has %d badge pixels", red)
	}
	tip, err := fake.Tooltip(item)
	if err != nil || tip != "Sotto — 4 unread — do not disturb until 15:00" {
		t.Fatalf("tooltip %q, %v", tip, err)
	}
	menu, _ = fake.Menu(item)
	if e, _ := desktoptest.Find(menu, "Do not disturb", "For 1 hour"); !e.Toggled {
		t.Fatal("Do not disturb → For 1 hour is not ticked")
	}
	tr.SetUnread(0)
	for deadline := time.Now().Add(5 * time.Second); red > 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		icon, _ := fake.Icon(item)
		red, _ = badgePixels(icon)
	}
	if red > 0 {
		t.Fatalf("all read, but the badge is still there (%d pixels)", red)
	}

	// Quitting closes the tray's bus connection; updates that arrive after
	// that (an unread count while the app shuts down) must not panic.
	tr.Stop()
	time.Sleep(200 * time.Millisecond)
	tr.SetUnread(9)
	tr.SetDoNotDisturb(DNDOff, "")
	tr.refresh()
}
