package tray

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"sync"

	"fyne.io/systray"
)

// DND is a Do not disturb choice from the menu.
type DND uint8

const (
	// DNDOff turns Do not disturb off.
	DNDOff DND = iota
	// DNDHour silences notifications for an hour.
	DNDHour
	// DNDTomorrow silences them until tomorrow morning.
	DNDTomorrow
)

// Menu is what the menu items do. Each runs on the tray's goroutine.
type Menu struct {
	Open         func()
	StartCall    func()
	DoNotDisturb func(DND)
	Quit         func()
}

// Options configure the tray.
type Options struct {
	Icon    image.Image // the app icon, any size
	Tooltip string      // "Sotto"
	Menu    Menu
	Log     *slog.Logger
}

// Tray is the running tray icon.
type Tray struct {
	base *image.NRGBA
	name string
	menu Menu
	log  *slog.Logger

	mu      sync.Mutex
	unread  int
	dnd     string // "" when off, else what the tooltip says
	ready   bool
	dndItem map[DND]*systray.MenuItem
	stop    func()
}

// Labels of the menu, in order ("-" is a separator). Tests compare the
// menu a panel reads with this.
var Labels = []string{"Open Sotto", "Start call…", "-", "Do not disturb", "-", "Quit Sotto"}

// DNDLabels are the Do not disturb submenu's items.
var DNDLabels = map[DND]string{DNDHour: "For 1 hour", DNDTomorrow: "Until tomorrow, 8:00", DNDOff: "Off"}

// Start shows the tray icon. Where no tray host is running it logs and the
// app carries on (the window stays the way back in).
func Start(o Options) *Tray {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	t := &Tray{base: Scale(o.Icon), name: o.Tooltip, menu: o.Menu, log: o.Log, dndItem: map[DND]*systray.MenuItem{}}
	t.stop = run(t.onReady, func() {})
	return t
}

// Stop removes the icon. Later updates (an unread count arriving while the
// app quits) do nothing.
func (t *Tray) Stop() {
	t.mu.Lock()
	t.ready = false
	t.mu.Unlock()
	if t.stop != nil {
		t.stop()
	}
}

// SetUnread redraws the badge for n unread messages.
func (t *Tray) SetUnread(n int) {
	t.mu.Lock()
	changed := n != t.unread
	t.unread = n
	ready := t.ready
	t.mu.Unlock()
	if changed && ready {
		t.refresh()
	}
}

// SetDoNotDisturb shows the current Do not disturb state: choice is ticked
// in the submenu, until ("" when off) is said in the tooltip.
func (t *Tray) SetDoNotDisturb(choice DND, until string) {
	t.mu.Lock()
	t.dnd = until
	ready := t.ready
	items := t.dndItem
	t.mu.Unlock()
	if !ready {
		return
	}
	for c, it := range items {
		if c == choice {
			it.Check()
		} else {
			it.Uncheck()
		}
	}
	t.refresh()
}

func (t *Tray) tooltip() string {
	s := t.name
	if t.unread > 0 {
		s += " — " + BadgeText(t.unread) + " unread"
	}
	if t.dnd != "" {
		s += " — do not disturb " + t.dnd
	}
	return s
}

func (t *Tray) refresh() {
	t.mu.Lock()
	icon := Badge(t.base, t.unread)
	tip := t.tooltip()
	t.mu.Unlock()
	b, err := encodeIcon(icon)
	if err != nil {
		t.log.Warn("tray icon", "err", err.Error())
		return
	}
	// systray panics when its D-Bus connection has closed under it (the
	// session bus went away, or the tray is quitting): the icon stays as it
	// was, the app carries on.
	defer func() {
		if r := recover(); r != nil {
			t.mu.Lock()
			t.ready = false
			t.mu.Unlock()
			t.log.Warn("tray: the icon can no longer be updated", "err", fmt.Sprint(r))
		}
	}()
	systray.SetIcon(b)
	systray.SetTooltip(tip)
}

func (t *Tray) onReady() {
	systray.SetTitle(t.name)
	systray.SetOnTapped(func() { call(t.menu.Open) })
	open := systray.AddMenuItem(Labels[0], "Show the Sotto window")
	startCall := systray.AddMenuItem(Labels[1], "Choose someone to call")
	systray.AddSeparator()
	dnd := systray.AddMenuItem(Labels[3], "Silence notifications for a while")
	items := map[DND]*systray.MenuItem{}
	for _, c := range []DND{DNDHour, DNDTomorrow, DNDOff} {
		items[c] = dnd.AddSubMenuItemCheckbox(DNDLabels[c], "", c == DNDOff)
	}
	systray.AddSeparator()
	quit := systray.AddMenuItem(Labels[5], "Quit Sotto (calls and messages stop until you start it again)")
	t.mu.Lock()
	t.dndItem, t.ready = items, true
	t.mu.Unlock()
	t.refresh()

	go forward(open.ClickedCh, func() { call(t.menu.Open) })
	go forward(startCall.ClickedCh, func() { call(t.menu.StartCall) })
	go forward(quit.ClickedCh, func() { call(t.menu.Quit) })
	for c, it := range items {
		go forward(it.ClickedCh, func() {
			if t.menu.DoNotDisturb != nil {
				t.menu.DoNotDisturb(c)
			}
		})
	}
	t.log.Info("tray ready")
}

func forward(ch <-chan struct{}, f func()) {
	for range ch {
		f()
	}
}

func call(f func()) {
	if f != nil {
		f()
	}
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
