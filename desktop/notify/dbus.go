package notify

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// The Desktop Notifications service.
const (
	busName   = "org.freedesktop.Notifications"
	busPath   = "/org/freedesktop/Notifications"
	busIface  = "org.freedesktop.Notifications"
	defaultID = "default"
)

var markupEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// DBus is the freedesktop Notifier.
type DBus struct {
	conn    *dbus.Conn
	obj     dbus.BusObject
	appName string
	icon    string
	entry   string
	markup  bool
	log     *slog.Logger

	mu    sync.Mutex
	shown map[uint32]Notification
	tags  map[string]uint32
	// early holds actions invoked on an id Show has not returned yet (the
	// server may signal before our Notify call's reply is read).
	early   map[uint32]earlyAction
	owner   string // unique bus name of the server whose signals count
	signals chan *dbus.Signal
	done    chan struct{}
}

// DBusOptions name the app to the notification server.
type DBusOptions struct {
	AppName string // shown by the server ("Sotto")
	Icon    string // icon name or absolute path
	// DesktopEntry is the .desktop file's name without ".desktop", so the
	// server can find the app's icon and settings.
	DesktopEntry string
	Log          *slog.Logger
}

// NewDBus connects to the notification server on the session bus at
// address ("" for the usual DBUS_SESSION_BUS_ADDRESS). It uses a private
// connection: the action signals it listens to stay out of other users of
// the shared one (the tray).
func NewDBus(address string, o DBusOptions) (*DBus, error) {
	var (
		conn *dbus.Conn
		err  error
	)
	if address == "" {
		conn, err = dbus.ConnectSessionBus()
	} else {
		conn, err = dbus.Connect(address)
	}
	if err != nil {
		return nil, fmt.Errorf("notify: connect to the session bus: %w", err)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	d := &DBus{conn: conn, obj: conn.Object(busName, busPath), appName: o.AppName, icon: o.Icon, entry: o.DesktopEntry,
		log: o.Log, shown: map[uint32]Notification{}, tags: map[string]uint32{}, early: map[uint32]earlyAction{},
		signals: make(chan *dbus.Signal, 16), done: make(chan struct{})}
	var caps []string
	if err := d.obj.Call(busIface+".GetCapabilities", 0).Store(&caps); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify: %w: %w", ErrUnsupported, err)
	}
	d.markup = slices.Contains(caps, "body-markup")
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(busIface), dbus.WithMatchObjectPath(busPath)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify: watch actions: %w", err)
	}
	d.refreshOwner()
	conn.Signal(d.signals)
	go d.listen()
	return d, nil
}

func (d *DBus) refreshOwner() string {
	var owner string
	if err := d.conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, busName).Store(&owner); err != nil {
		return ""
	}
	d.mu.Lock()
	d.owner = owner
	d.mu.Unlock()
	return owner
}

// Show sends n to the notification server.
func (d *DBus) Show(n Notification) (ID, error) {
	var actions []string
	if n.OnClick != nil {
		actions = append(actions, defaultID, "Open")
	}
	for _, a := range n.Actions {
		actions = append(actions, a.Key, a.Label)
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(n.Urgency.freedesktop())}
	if n.Category != "" {
		hints["category"] = dbus.MakeVariant(n.Category)
	}
	if d.entry != "" {
		hints["desktop-entry"] = dbus.MakeVariant(d.entry)
	}
	body := clip(n.Body, maxBody)
	if d.markup {
		// The server would read <b>, <a href> … from a message: show them as
		// text. Only the three markup characters: quotes stay readable on
		// servers whose parser knows no entities beyond these.
		body = markupEscaper.Replace(body)
	}
	timeout := int32(-1)
	if n.Urgency == UrgencyCritical {
		timeout = 0 // until handled
	}
	d.mu.Lock()
	replaces := uint32(0)
	if n.Tag != "" {
		replaces = d.tags[n.Tag]
	}
	d.mu.Unlock()
	var id uint32
	err := d.obj.Call(busIface+".Notify", 0, d.appName, replaces, d.icon, clip(n.Title, maxBody), body, actions, hints, timeout).Store(&id)
	if err != nil {
		return 0, fmt.Errorf("notify: show: %w", err)
	}
	d.remember(id, replaces, n)
	return ID(id), nil
}

// remember records notification n under the id the server gave it (which
// replaced replaces), and carries out an action invoked on it early.
func (d *DBus) remember(id, replaces uint32, n Notification) {
	d.mu.Lock()
	if replaces != 0 && replaces != id {
		delete(d.shown, replaces)
	}
	d.shown[id] = n
	if n.Tag != "" {
		d.tags[n.Tag] = id
	}
	early, wasEarly := d.early[id]
	delete(d.early, id)
	d.mu.Unlock()
	if wasEarly && time.Since(early.at) < earlyActionLife {
		d.run(id, early.key)
	}
}

// earlyAction is an action invoked before Show learnt its notification's id.
type earlyAction struct {
	key string
	at  time.Time
}

// Early actions are kept this long, and at most this many.
const (
	earlyActionLife = 10 * time.Second
	maxEarlyActions = 16
)

// run carries out action key of notification id, once.
func (d *DBus) run(id uint32, key string) {
	n, ok := d.forget(id)
	if !ok {
		return
	}
	if fn := n.action(key); fn != nil {
		go fn()
	}
}

// Close withdraws a notification.
func (d *DBus) Close(id ID) error {
	d.forget(uint32(id))
	if err := d.obj.Call(busIface+".CloseNotification", 0, uint32(id)).Err; err != nil {
		return fmt.Errorf("notify: close: %w", err)
	}
	return nil
}

// Stop closes the connection; no callback runs afterwards.
func (d *DBus) Stop() error {
	select {
	case <-d.done:
		return nil
	default:
	}
	close(d.done)
	d.conn.RemoveSignal(d.signals)
	return d.conn.Close()
}

func (d *DBus) forget(id uint32) (Notification, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.shown[id]
	delete(d.shown, id)
	if ok && n.Tag != "" && d.tags[n.Tag] == id {
		delete(d.tags, n.Tag)
	}
	return n, ok
}

func (d *DBus) listen() {
	for {
		select {
		case <-d.done:
			return
		case sig, ok := <-d.signals:
			if !ok || sig == nil {
				return
			}
			d.handle(sig)
		}
	}
}

// handle runs the callback of an invoked action. Only the server's signals
// count: another program on the bus cannot press Accept for the person.
func (d *DBus) handle(sig *dbus.Signal) {
	d.mu.Lock()
	owner := d.owner
	d.mu.Unlock()
	if sig.Sender != owner && sig.Sender != d.refreshOwner() {
		d.log.Warn("notification signal from a program that is not the notification server ignored")
		return
	}
	switch sig.Name {
	case busIface + ".ActionInvoked":
		var (
			id  uint32
			key string
		)
		if err := dbus.Store(sig.Body, &id, &key); err != nil {
			return
		}
		d.mu.Lock()
		_, known := d.shown[id]
		if !known && len(d.early) < maxEarlyActions {
			// Perhaps ours, with Show still waiting for the reply.
			d.early[id] = earlyAction{key: key, at: time.Now()}
		}
		d.mu.Unlock()
		if known {
			d.run(id, key)
		}
	case busIface + ".NotificationClosed":
		var id, reason uint32
		if err := dbus.Store(sig.Body, &id, &reason); err == nil {
			d.forget(id)
		}
	}
}

func (n Notification) action(key string) func() {
	if key == defaultID {
		return n.OnClick
	}
	for _, a := range n.Actions {
		if a.Key == key {
			return a.Do
		}
	}
	return nil
}
