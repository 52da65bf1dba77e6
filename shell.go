package main

import (
	"bytes"
	"context"
	_ "embed"
	"image"
	_ "image/png"
	"log/slog"
	"os"
	"runtime"
	"sync"

	"github.com/sotto-im/sotto/app"
	"github.com/sotto-im/sotto/desktop"
	"github.com/sotto-im/sotto/desktop/notify"
	"github.com/sotto-im/sotto/desktop/tray"
	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

//go:embed build/appicon.png
var appIcon []byte

// shell is the Wails side of desktop.Controller: it adapts the runtime to
// desktop.Window and starts the tray and notifications once, in the first
// instance only (OnDomReady; OnStartup also runs in a second instance).
type shell struct {
	ctl  *desktop.Controller
	log  *slog.Logger
	ctx  func() context.Context
	args []string // positional arguments: a deep link on a cold start

	once sync.Once
	tray *tray.Tray
}

func newShell(profile app.Profile, dataDir string, chats *app.Chats, ctx func() context.Context, args []string, log *slog.Logger) (*shell, error) {
	exe, err := os.Executable()
	if err != nil {
		exe = ""
	}
	ctl, err := desktop.New(desktop.Config{Chats: chats, Profile: profile, DataDir: dataDir, Executable: exe, Log: log})
	if err != nil {
		return nil, err
	}
	return &shell{ctl: ctl, log: log, ctx: ctx, args: args}, nil
}

// domReady starts the desktop integration the first time the page loads.
func (s *shell) domReady() {
	s.once.Do(func() {
		notes, err := notify.New(notify.DBusOptions{AppName: "Sotto", Icon: "sotto", DesktopEntry: "sotto", Log: s.log})
		if err != nil {
			s.log.Warn("notifications unavailable", "err", err.Error())
			notes = notify.Discard{}
		}
		s.ctl.SetNotifier(notes)
		s.ctl.AttachWindow(wailsWindow{ctx: s.ctx})
		s.ctl.Start()
		if runtime.GOOS != "darwin" {
			s.startTray()
		}
		s.ctl.HandleArgs(s.args, false)
	})
}

// beforeRun starts what must exist before wails.Run: on macOS the tray,
// which fyne.io/systray registers with the Cocoa loop Wails then runs.
func (s *shell) beforeRun() {
	if runtime.GOOS == "darwin" {
		s.startTray()
	}
}

func (s *shell) startTray() {
	icon, _, err := image.Decode(bytes.NewReader(appIcon))
	if err != nil {
		s.log.Warn("tray icon unreadable", "err", err.Error())
		return
	}
	s.tray = tray.Start(tray.Options{Icon: icon, Tooltip: "Sotto", Menu: s.ctl.TrayMenu(), Log: s.log})
	s.ctl.AttachTray(s.tray)
}

func (s *shell) shutdown() {
	s.ctl.Stop()
	if s.tray != nil {
		s.tray.Stop()
	}
}

// wailsWindow is desktop.Window over Wails' runtime.
type wailsWindow struct {
	ctx func() context.Context
}

func (w wailsWindow) with(f func(context.Context)) {
	if c := w.ctx(); c != nil {
		f(c)
	}
}

func (w wailsWindow) Show() {
	w.with(func(c context.Context) {
		wailsruntime.WindowUnminimise(c)
		wailsruntime.WindowShow(c)
	})
}

func (w wailsWindow) Hide() { w.with(wailsruntime.WindowHide) }
func (w wailsWindow) Quit() { w.with(wailsruntime.Quit) }
func (w wailsWindow) Emit(name string, data any) {
	w.with(func(c context.Context) { wailsruntime.EventsEmit(c, name, data) })
}
