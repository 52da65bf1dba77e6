package desktoptest

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// Notify is one Notify call as the server received it.
type Notify struct {
	ID       uint32   `json:"id"`
	Sender   string   `json:"sender"`
	AppName  string   `json:"appName"`
	Replaces uint32   `json:"replaces"`
	Icon     string   `json:"icon"`
	Summary  string   `json:"summary"`
	Body     string   `json:"body"`
	Actions  []string `json:"actions"` // key, label, key, label …
	Urgency  byte     `json:"urgency"`
	Category string   `json:"category"`
	Entry    string   `json:"desktopEntry"`
	Timeout  int32    `json:"timeout"`
}

// ActionKeys are the keys of n's actions ("default", "accept", …).
func (n Notify) ActionKeys() []string {
	var keys []string
	for i := 0; i+1 < len(n.Actions); i += 2 {
		keys = append(keys, n.Actions[i])
	}
	return keys
}

// Item is a tray icon registered with the watcher.
type Item struct {
	Sender string `json:"sender"`
	Path   string `json:"path"`
}

// Record is one line of the record file.
type Record struct {
	At     time.Time `json:"at"`
	Call   string    `json:"call"`
	Notify *Notify   `json:"notify,omitempty"`
	ID     uint32    `json:"id,omitempty"`
	Key    string    `json:"key,omitempty"`
	Item   *Item     `json:"item,omitempty"`
}

// Desktop is the fake notification server and tray watcher.
type Desktop struct {
	conn *dbus.Conn
	file *os.File

	mu      sync.Mutex
	changed *sync.Cond
	records []Record
	nextID  uint32
	items   []Item
	props   *prop.Properties
}

// Start connects to the bus at address, takes the two service names and
// records to recordPath (JSON lines; "" records in memory only).
func Start(address, recordPath string) (*Desktop, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("fake desktop: connect: %w", err)
	}
	d := &Desktop{conn: conn}
	d.changed = sync.NewCond(&d.mu)
	if recordPath != "" {
		if d.file, err = os.Create(recordPath); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if err := conn.Export(notifications{d}, notificationsPath, notificationsIface); err != nil {
		d.Close()
		return nil, err
	}
	if err := conn.Export(watcher{d}, watcherPath, watcherIface); err != nil {
		d.Close()
		return nil, err
	}
	d.props, err = prop.Export(conn, watcherPath, map[string]map[string]*prop.Prop{watcherIface: {
		"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
		"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
		"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
	}})
	if err != nil {
		d.Close()
		return nil, err
	}
	for _, name := range []string{notificationsIface, watcherIface} {
		reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
		if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			d.Close()
			return nil, fmt.Errorf("fake desktop: own %s: %v (reply %v)", name, err, reply)
		}
	}
	return d, nil
}

// Close releases the names and the connection.
func (d *Desktop) Close() error {
	if d.file != nil {
		d.file.Close()
	}
	return d.conn.Close()
}

func (d *Desktop) record(r Record) {
	r.At = time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records = append(d.records, r)
	if d.file != nil {
		b, _ := json.Marshal(r)
		_, _ = d.file.Write(append(b, '\n'))
	}
	d.changed.Broadcast()
}

// Records returns every call so far.
func (d *Desktop) Records() []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Record(nil), d.records...)
}

// Notifications returns every Notify call so far.
func (d *Desktop) Notifications() []Notify {
	var out []Notify
	for _, r := range d.Records() {
		if r.Notify != nil {
			out = append(out, *r.Notify)
		}
	}
	return out
}

// Items returns the tray icons registered so far.
func (d *Desktop) Items() []Item {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Item(nil), d.items...)
}

// Wait blocks until cond holds (checked after every recorded call) or the
// timeout passes; it reports whether cond held.
func (d *Desktop) Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() {
		d.mu.Lock()
		d.changed.Broadcast()
		d.mu.Unlock()
	})
	defer stop.Stop()
	for {
		if cond() {
			return true
		}
		d.mu.Lock()
		if time.Now().After(deadline) {
			d.mu.Unlock()
			return cond()
		}
		d.changed.Wait()
		d.mu.Unlock()
	}
}

// WaitNotify waits for a Notify call (after the first skip ones) for which
// match holds, and returns it.
func (d *Desktop) WaitNotify(timeout time.Duration, skip int, match func(Notify) bool) (Notify, bool) {
	var found Notify
	ok := d.Wait(timeout, func() bool {
		ns := d.Notifications()
		for i := skip; i < len(ns); i++ {
			if match == nil || match(ns[i]) {
				found = ns[i]
				return true
			}
		}
		return false
	})
	return found, ok
}

// Invoke presses a notification's action as the server would ("default" is
// a click on the notification).
func (d *Desktop) Invoke(id uint32, key string) error {
	d.record(Record{Call: "emit ActionInvoked", ID: id, Key: key})
	return d.conn.Emit(notificationsPath, notificationsIface+".ActionInvoked", id, key)
}

// Dismiss closes a notification as if the person dismissed it (reason 2).
func (d *Desktop) Dismiss(id uint32) error {
	d.record(Record{Call: "emit NotificationClosed", ID: id})
	return d.conn.Emit(notificationsPath, notificationsIface+".NotificationClosed", id, uint32(2))
}

const (
	notificationsPath  = "/org/freedesktop/Notifications"
	notificationsIface = "org.freedesktop.Notifications"
	watcherPath        = "/StatusNotifierWatcher"
	watcherIface       = "org.kde.StatusNotifierWatcher"
)

type notifications struct{ d *Desktop }

func (n notifications) GetCapabilities() ([]string, *dbus.Error) {
	n.d.record(Record{Call: "GetCapabilities"})
	return []string{"actions", "body", "body-markup"}, nil
}

func (n notifications) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "sotto-fake", "sotto", "1", "1.2", nil
}

func (n notifications) Notify(sender dbus.Sender, appName string, replaces uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	rec := &Notify{Sender: string(sender), AppName: appName, Replaces: replaces, Icon: icon, Summary: summary,
		Body: body, Actions: actions, Timeout: timeout}
	if v, ok := hints["urgency"]; ok {
		rec.Urgency, _ = v.Value().(byte)
	}
	if v, ok := hints["category"]; ok {
		rec.Category, _ = v.Value().(string)
	}
	if v, ok := hints["desktop-entry"]; ok {
		rec.Entry, _ = v.Value().(string)
	}
	n.d.mu.Lock()
	if replaces != 0 {
		rec.ID = replaces
	} else {
		n.d.nextID++
		rec.ID = n.d.nextID
	}
	n.d.mu.Unlock()
	n.d.record(Record{Call: "Notify", Notify: rec})
	return rec.ID, nil
}

func (n notifications) CloseNotification(id uint32) *dbus.Error {
	n.d.record(Record{Call: "CloseNotification", ID: id})
	return nil
}

type watcher struct{ d *Desktop }

func (w watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	item := Item{Sender: string(sender), Path: service}
	if len(service) == 0 || service[0] != '/' {
		// A bus name: the item lives at the usual path.
		item = Item{Sender: service, Path: "/StatusNotifierItem"}
	}
	w.d.mu.Lock()
	w.d.items = append(w.d.items, item)
	names := make([]string, 0, len(w.d.items))
	for _, it := range w.d.items {
		names = append(names, it.Sender+it.Path)
	}
	w.d.mu.Unlock()
	w.d.props.SetMust(watcherIface, "RegisteredStatusNotifierItems", names)
	w.d.record(Record{Call: "RegisterStatusNotifierItem", Item: &item})
	return nil
}

func (w watcher) RegisterStatusNotifierHost(service string) *dbus.Error {
	w.d.record(Record{Call: "RegisterStatusNotifierHost"})
	return nil
}
