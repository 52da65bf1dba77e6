package desktop

import (
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/sotto-im/sotto/app"
	"github.com/sotto-im/sotto/app/messenger"
	"github.com/sotto-im/sotto/desktop/autostart"
	"github.com/sotto-im/sotto/desktop/deeplink"
	"github.com/sotto-im/sotto/desktop/notify"
	"github.com/sotto-im/sotto/desktop/tray"
)

// TrayIcon is what the shell changes on the tray (tray.Tray, or nil when
// there is none).
type TrayIcon interface {
	SetUnread(n int)
	SetDoNotDisturb(choice tray.DND, until string)
}

// Config wires a Controller.
type Config struct {
	Chats   *app.Chats
	Profile app.Profile
	// DataDir is the profile's folder (desktop settings live beside it).
	DataDir string
	// Executable is the program started at login (os.Executable()).
	Executable string
	Notifier   notify.Notifier // nil: notify.Discard
	Log        *slog.Logger
	// Now is the clock (tests move it); nil: time.Now.
	Now func() time.Time
}

// Controller is the desktop shell of one running profile.
type Controller struct {
	chats   *app.Chats
	profile app.Profile
	dataDir string
	exe     string
	notes   notify.Notifier
	log     *slog.Logger
	now     func() time.Time
	events  chan messenger.Event

	mu        sync.Mutex
	window    Window
	tray      TrayIcon
	prefs     app.DesktopPreferences
	dndChoice DNDChoice
	uiReady   bool
	pending   OpenRequest
	lastLink  string // handle of the last link, to match what the UI reports
	focused   bool
	openConv  int64
	quitting  bool
	unread    int
	stopped   bool
	dndTimer  *time.Timer
	rings     callRings
}

// New makes the shell for a profile; Start begins its work.
func New(cfg Config) (*Controller, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Notifier == nil {
		cfg.Notifier = notify.Discard{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	prefs, err := app.LoadDesktopPreferences(cfg.DataDir)
	if err != nil {
		cfg.Log.Warn("desktop settings unreadable, using the defaults", "err", err.Error())
		prefs = app.DesktopPreferences{}
	}
	c := &Controller{chats: cfg.Chats, profile: cfg.Profile, dataDir: cfg.DataDir, exe: cfg.Executable,
		notes: cfg.Notifier, log: cfg.Log, now: cfg.Now, events: make(chan messenger.Event, 256), prefs: prefs,
		dndChoice: DNDOff}
	if prefs.DoNotDisturbUntil != 0 {
		c.dndChoice = DNDHour // an earlier choice still running; the tray ticks "For 1 hour" as the nearest
	}
	return c, nil
}

// Start runs the event worker until Stop.
func (c *Controller) Start() {
	go c.work()
}

// Stop ends the worker and the notifier.
func (c *Controller) Stop() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	if c.dndTimer != nil {
		c.dndTimer.Stop()
	}
	c.mu.Unlock()
	close(c.events)
	if err := c.notifier().Stop(); err != nil {
		c.log.Warn("stop notifications", "err", err.Error())
	}
}

// AttachWindow hands the shell the window once it exists.
func (c *Controller) AttachWindow(w Window) {
	c.mu.Lock()
	c.window = w
	c.mu.Unlock()
}

// AttachTray hands the shell the tray icon and shows the current state on it.
func (c *Controller) AttachTray(t TrayIcon) {
	c.mu.Lock()
	c.tray = t
	unread := c.unread
	c.mu.Unlock()
	t.SetUnread(unread)
	c.showDND()
}

// Service is the part the UI calls (bound in main.go).
func (c *Controller) Service() *Service { return &Service{c: c} }

// TrayMenu is what the tray's items do.
func (c *Controller) TrayMenu() tray.Menu {
	return tray.Menu{
		Open: func() { c.showWindow() },
		StartCall: func() {
			c.showWindow()
			c.open(OpenRequest{Kind: OpenCall, Source: "tray"})
		},
		DoNotDisturb: func(d tray.DND) {
			if _, err := c.setDND(fromTray(d)); err != nil {
				c.log.Warn("do not disturb", "err", err.Error())
			}
		},
		Quit: c.Quit,
	}
}

// HandleEvent takes a messenger event (main.go forwards every one). It
// never blocks the receive path: events queue for the worker, and are
// dropped (with a log line) if the worker falls far behind.
func (c *Controller) HandleEvent(e messenger.Event) {
	switch e.Kind {
	case messenger.EventMessage, messenger.EventStatus, messenger.EventUpdated, messenger.EventRequest:
	default:
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	select {
	case c.events <- e:
	default:
		c.log.Warn("desktop events queue full, one event not notified")
	}
}

func (c *Controller) work() {
	for e := range c.events {
		c.notifyFor(e)
		// Count once a burst has been handled.
		if len(c.events) == 0 {
			c.refreshUnread()
		}
	}
}

// HandleArgs takes command-line arguments (at a cold start, or handed over
// by a second launch): a deep link among them opens its chat or pre-call
// screen; a second launch brings the window back either way.
func (c *Controller) HandleArgs(args []string, secondInstance bool) {
	link, ok, errs := deeplink.FromArgs(args)
	for i, err := range errs {
		c.log.Warn("link ignored", "err", err.Error(), "index", i)
	}
	if ok {
		c.OpenLink(link)
	}
	if secondInstance {
		c.showWindow()
	}
}

// HandleURL takes a URL the system opened Sotto with (macOS OnUrlOpen).
func (c *Controller) HandleURL(u string) {
	link, err := deeplink.Parse(u)
	if err != nil {
		c.log.Warn("link ignored", "err", err.Error(), "link", deeplink.Describe(u))
		return
	}
	c.OpenLink(link)
	c.showWindow()
}

// OpenLink opens what a valid link names: a chat, or the pre-call screen.
// It never starts a call.
func (c *Controller) OpenLink(l deeplink.Link) {
	c.log.Info("link opened", "action", l.Action.String(), "video", l.Video)
	req := OpenRequest{Kind: OpenChat, Handle: l.Handle.String(), Source: "link"}
	if l.Action == deeplink.ActionCall {
		req.Kind, req.Video = OpenCall, l.Video
	}
	c.mu.Lock()
	c.lastLink = req.Handle
	c.mu.Unlock()
	c.open(req)
}

// open sends req to the UI, or keeps it until the UI asks (TakeOpen) when
// the UI is not up yet.
func (c *Controller) open(req OpenRequest) {
	c.mu.Lock()
	w, ready := c.window, c.uiReady
	if !ready || w == nil {
		c.pending = req
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	w.Emit(OpenEventName, req)
}

func (c *Controller) takeOpen() OpenRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uiReady = true
	req := c.pending
	c.pending = OpenRequest{}
	return req
}

func (c *Controller) showWindow() {
	c.mu.Lock()
	w := c.window
	c.mu.Unlock()
	if w != nil {
		w.Show()
	}
}

// BeforeClose is Wails' OnBeforeClose: with "Close to tray" on, the close
// button hides the window and the app keeps running; Quit (tray, menu)
// always quits.
func (c *Controller) BeforeClose() (prevent bool) {
	c.mu.Lock()
	quitting, toTray, w := c.quitting, c.prefs.CloseToTray, c.window
	c.mu.Unlock()
	if quitting || !toTray || w == nil {
		return false
	}
	c.log.Info("window hidden to the tray")
	w.Hide()
	return true
}

// Quit ends the app for real.
func (c *Controller) Quit() {
	c.mu.Lock()
	c.quitting = true
	w := c.window
	c.mu.Unlock()
	if w != nil {
		w.Quit()
	}
}

// StartHidden reports whether the window should start hidden: --hidden was
// given and no link asks to show something.
func StartHidden(hiddenFlag bool, args []string) bool {
	if !hiddenFlag {
		return false
	}
	_, link, _ := deeplink.FromArgs(args)
	return !link
}

// windowState records what the person is looking at (the UI reports it).
func (c *Controller) windowState(focused bool, conv int64) {
	c.mu.Lock()
	c.focused, c.openConv = focused, conv
	c.mu.Unlock()
	c.refreshUnread()
}

func (c *Controller) refreshUnread() {
	n, err := app.UnreadTotal(c.chats)
	if err != nil {
		c.log.Warn("unread count", "err", err.Error())
		return
	}
	c.mu.Lock()
	c.unread = n
	t := c.tray
	c.mu.Unlock()
	if t != nil {
		t.SetUnread(n)
	}
}

func (c *Controller) dndActive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prefs.DoNotDisturbUntil != 0 && c.now().UnixMilli() < c.prefs.DoNotDisturbUntil
}

func (c *Controller) notifyFor(e messenger.Event) {
	n, ok, err := app.NoticeFor(c.chats, e)
	if err != nil {
		c.log.Warn("notification for a message", "err", err.Error())
		return
	}
	if !ok || n.Muted || n.Blocked {
		return
	}
	c.mu.Lock()
	looking := c.focused && c.openConv == n.Conversation
	c.mu.Unlock()
	if looking {
		return
	}
	if c.dndActive() {
		c.log.Info("notification held back: do not disturb")
		return
	}
	title, body := messageWords(n)
	conv := n.Conversation
	note := notify.Notification{Title: title, Body: body, Category: "im.received",
		Tag: "conversation-" + strconv.FormatInt(conv, 10),
		OnClick: func() {
			c.log.Info("notification clicked", "conversation", conv)
			c.showWindow()
			c.open(OpenRequest{Kind: OpenChat, Conversation: conv, Source: "notification"})
		}}
	if n.Level != "none" {
		note.Link = "sotto://chat/@" + n.Handle
	} else {
		note.Tag = "message"
	}
	if _, err := c.notifier().Show(note); err != nil {
		c.log.Warn("notification not shown", "err", err.Error())
		return
	}
	c.log.Info("notification shown", "kind", "message", "level", n.Level, "request", n.Request)
}

// IncomingCall is a call to ring for. Accept and Decline run when the
// person presses those buttons on the notification.
type IncomingCall struct {
	Handle  string
	Video   bool
	Accept  func()
	Decline func()
}

// Ring shows the incoming-call notification with Accept and Decline (and a
// click that shows the window). The returned function withdraws it (the
// call was answered in the window, or ended). Do not disturb holds it back.
func (c *Controller) Ring(call IncomingCall) (withdraw func()) {
	if c.dndActive() {
		c.log.Info("call notification held back: do not disturb")
		return func() {}
	}
	title, body := callWords(c.level(), call.Handle, call.Video)
	id, err := c.notifier().Show(notify.Notification{Title: title, Body: body, Category: "call.incoming",
		Urgency: notify.UrgencyCritical, OnClick: c.showWindow,
		Actions: []notify.Action{
			{Key: "accept", Label: "Accept", Do: func() { c.showWindow(); call.Accept() }},
			{Key: "decline", Label: "Decline", Do: call.Decline},
		}})
	if err != nil {
		c.log.Warn("call notification not shown", "err", err.Error())
		return func() {}
	}
	c.log.Info("notification shown", "kind", "incoming-call")
	return func() { _ = c.notifier().Close(id) }
}

// MissedCall tells the person about a call they did not answer; a click
// opens the conversation.
func (c *Controller) MissedCall(handle string, video bool) {
	if c.dndActive() {
		return
	}
	title, body := missedWords(c.level(), handle, video)
	if _, err := c.notifier().Show(notify.Notification{Title: title, Body: body, Category: "call.unanswered",
		OnClick: func() {
			c.showWindow()
			c.open(OpenRequest{Kind: OpenChat, Handle: handle, Source: "notification"})
		}}); err != nil {
		c.log.Warn("missed-call notification not shown", "err", err.Error())
	}
}

func (c *Controller) level() string {
	if c.chats == nil {
		return "none"
	}
	p := c.chats.Preferences()
	return p.NotificationContent
}

// settings returns the desktop preferences, with StartAtLogin read from the
// system (the person may have removed the entry there).
func (c *Controller) settings() app.DesktopPreferences {
	c.mu.Lock()
	p := c.prefs
	c.mu.Unlock()
	if on, err := autostart.Enabled(c.autostartName()); err == nil {
		p.StartAtLogin = on
	}
	return p
}

func (c *Controller) autostartName() string {
	if c.profile == app.DefaultProfile || c.profile == "" {
		return "sotto"
	}
	return "sotto-" + c.profile.String()
}

func (c *Controller) autostartEntry(p app.DesktopPreferences) autostart.Entry {
	e := autostart.Entry{Name: c.autostartName(), DisplayName: "Sotto", Exec: c.exe}
	if c.profile != app.DefaultProfile && c.profile != "" {
		e.DisplayName = "Sotto (" + c.profile.String() + ")"
		e.Args = append(e.Args, "--profile", c.profile.String())
	}
	if p.StartMinimised {
		e.Args = append(e.Args, "--hidden")
	}
	return e
}

func (c *Controller) setSettings(p app.DesktopPreferences) (app.DesktopPreferences, error) {
	c.mu.Lock()
	p.DoNotDisturbUntil = c.prefs.DoNotDisturbUntil // set through SetDoNotDisturb only
	c.mu.Unlock()
	if p.StartAtLogin {
		if c.exe == "" {
			return app.DesktopPreferences{}, fmt.Errorf("start at login: the program's location is unknown")
		}
		if err := autostart.Enable(c.autostartEntry(p)); err != nil {
			return app.DesktopPreferences{}, err
		}
	} else if err := autostart.Disable(c.autostartName()); err != nil {
		return app.DesktopPreferences{}, err
	}
	if err := app.SaveDesktopPreferences(c.dataDir, p); err != nil {
		return app.DesktopPreferences{}, err
	}
	c.mu.Lock()
	c.prefs = p
	c.mu.Unlock()
	c.log.Info("desktop settings saved", "closeToTray", p.CloseToTray, "startAtLogin", p.StartAtLogin, "startMinimised", p.StartMinimised)
	return c.settings(), nil
}

func (c *Controller) setDND(choice DNDChoice) (DNDView, error) {
	now := c.now()
	until, err := dndUntil(choice, now)
	if err != nil {
		return DNDView{}, err
	}
	c.mu.Lock()
	p := c.prefs
	p.DoNotDisturbUntil = 0
	if !until.IsZero() {
		p.DoNotDisturbUntil = until.UnixMilli()
	}
	c.mu.Unlock()
	if err := app.SaveDesktopPreferences(c.dataDir, p); err != nil {
		return DNDView{}, err
	}
	c.mu.Lock()
	c.prefs, c.dndChoice = p, choice
	if c.dndTimer != nil {
		c.dndTimer.Stop()
		c.dndTimer = nil
	}
	if !until.IsZero() {
		c.dndTimer = time.AfterFunc(until.Sub(now), c.showDND)
	}
	c.mu.Unlock()
	c.log.Info("do not disturb", "choice", string(choice))
	c.showDND()
	return c.dnd(), nil
}

func (c *Controller) dnd() DNDView {
	c.mu.Lock()
	until := c.prefs.DoNotDisturbUntil
	c.mu.Unlock()
	if until == 0 {
		return DNDView{}
	}
	return dndView(time.UnixMilli(until), c.now())
}

// showDND puts the Do not disturb state on the tray.
func (c *Controller) showDND() {
	v := c.dnd()
	c.mu.Lock()
	t, choice := c.tray, c.dndChoice
	c.mu.Unlock()
	if !v.Active {
		choice = DNDOff
	}
	if t != nil {
		t.SetDoNotDisturb(trayChoice(choice), v.Label)
	}
	c.mu.Lock()
	w, ready := c.window, c.uiReady
	c.mu.Unlock()
	if w != nil && ready {
		w.Emit(DNDEventName, v)
	}
}

// DNDEventName tells the UI that Do not disturb changed (payload: DNDView).
const DNDEventName = "sotto:dnd"

// SetNotifier replaces the notifier (main.go connects it once the window is
// up, in the first instance only).
func (c *Controller) SetNotifier(n notify.Notifier) {
	c.mu.Lock()
	c.notes = n
	c.mu.Unlock()
}

func (c *Controller) notifier() notify.Notifier {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.notes
}
