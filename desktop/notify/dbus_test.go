package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sotto-im/sotto/desktop/desktoptest"
)

func startDBus(t *testing.T) (*DBus, *desktoptest.Desktop, string) {
	t.Helper()
	addr := desktoptest.Bus(t)
	fake, err := desktoptest.Start(addr, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	n, err := NewDBus(addr, DBusOptions{AppName: "Sotto", Icon: "sotto", DesktopEntry: "sotto"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n, fake, addr
}

// TestDBusActions: a notification with a click and two buttons reaches the
// server with its actions, hints and escaped body; each action runs its own
// callback once; a look-alike signal from another program runs nothing.
func TestDBusActions(t *testing.T) {
	n, fake, addr := startDBus(t)
	pressed := make(chan string, 4)
	id, err := n.Show(Notification{
		Title: "@bob is calling", Body: "Video call <b>now</b> & then", Category: "call.incoming", Urgency: UrgencyCritical,
		OnClick: func() { pressed <- "click" },
		Actions: []Action{{Key: "accept", Label: "Accept", Do: func() { pressed <- "accept" }},
			{Key: "decline", Label: "Decline", Do: func() { pressed <- "decline" }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := fake.WaitNotify(5*time.Second, 0, nil)
	if !ok {
		t.Fatal("no Notify reached the server")
	}
	if got.ID != uint32(id) || got.Summary != "@bob is calling" || got.AppName != "Sotto" || got.Entry != "sotto" {
		t.Fatalf("notify %+v (id %d)", got, id)
	}
	if got.Body != "Video call &lt;b&gt;now&lt;/b&gt; &amp; then" {
		t.Fatalf("body not escaped for a markup server: %q", got.Body)
	}
	if strings.Join(got.ActionKeys(), ",") != "default,accept,decline" || got.Urgency != 2 || got.Category != "call.incoming" || got.Timeout != 0 {
		t.Fatalf("actions/hints %+v", got)
	}

	// Another program on the bus pretends to be the server.
	other, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked", uint32(id), "accept"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-pressed:
		t.Fatalf("a signal from another program ran %q", p)
	case <-time.After(300 * time.Millisecond):
	}

	if err := fake.Invoke(uint32(id), "decline"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-pressed:
		if p != "decline" {
			t.Fatalf("pressed Decline, ran %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Decline's callback never ran")
	}
	// The notification is handled: a second press does nothing.
	_ = fake.Invoke(uint32(id), "accept")
	select {
	case p := <-pressed:
		t.Fatalf("a handled notification ran %q", p)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestDBusClickAndTag: a click runs OnClick; a notification with the same
// tag replaces the previous one; a dismissed one forgets its callbacks.
func TestDBusClickAndTag(t *testing.T) {
	n, fake, _ := startDBus(t)
	clicked := make(chan int, 4)
	first, err := n.Show(Notification{Title: "@bob", Body: "one", Tag: "conv-1", OnClick: func() { clicked <- 1 }})
	if err != nil {
		t.Fatal(err)
	}
	second, err := n.Show(Notification{Title: "@bob", Body: "two", Tag: "conv-1", OnClick: func() { clicked <- 2 }})
	if err != nil {
		t.Fatal(err)
	}
	ns := fake.Notifications()
	if len(ns) != 2 || ns[1].Replaces != uint32(first) || second != first {
		t.Fatalf("tag did not replace: %+v (ids %d %d)", ns, first, second)
	}
	third, err := n.Show(Notification{Title: "@carol", Body: "x", Tag: "conv-2", OnClick: func() { clicked <- 3 }})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Dismiss(uint32(third)); err != nil {
		t.Fatal(err)
	}
	if err := fake.Invoke(uint32(second), "default"); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-clicked:
		if c != 2 {
			t.Fatalf("click ran callback %d", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("click never ran")
	}
	time.Sleep(100 * time.Millisecond)
	_ = fake.Invoke(uint32(third), "default")
	select {
	case c := <-clicked:
		t.Fatalf("a dismissed notification ran %d", c)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestClip(t *testing.T) {
	s := strings.Repeat("é", 300)
	c := clip(s, maxBody)
	if len(c) > maxBody || !strings.HasSuffix(c, "…") || !strings.HasPrefix(s, strings.TrimSuffix(c, "…")) {
		t.Fatalf("clip: %d bytes %q", len(c), c[len(c)-8:])
	}
}

func TestToastXML(t *testing.T) {
	x := toastXML(Notification{Title: `@bob <"&">`, Body: "hi", Link: "sotto://chat/@bob", Urgency: UrgencyCritical})
	want := `<toast activationType="protocol" launch="sotto://chat/@bob" scenario="incomingCall"><visual><binding template="ToastGeneric"><text>@bob &lt;&#34;&amp;&#34;&gt;</text><text>hi</text></binding></visual></toast>`
	if x != want {
		t.Fatalf("toast XML\n got %s\nwant %s", x, want)
	}
}

// TestActionBeforeShowReturns: the server may signal an action before the
// reply to Notify is read; the action still runs, once, when Show learns
// the id — and a stray early signal for an id never shown runs nothing.
func TestActionBeforeShowReturns(t *testing.T) {
	d := &DBus{shown: map[uint32]Notification{}, tags: map[string]uint32{}, early: map[uint32]earlyAction{}}
	d.owner = ":1.7"
	ran := make(chan string, 2)
	sig := func(id uint32, key string) *dbus.Signal {
		return &dbus.Signal{Sender: ":1.7", Name: busIface + ".ActionInvoked", Body: []any{id, key}}
	}
	d.handle(sig(42, "accept"))
	d.handle(sig(99, "accept")) // never shown
	d.remember(42, 0, Notification{Actions: []Action{{Key: "accept", Label: "Accept", Do: func() { ran <- "accept" }}}})
	select {
	case got := <-ran:
		if got != "accept" {
			t.Fatalf("ran %q", got)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the early Accept was lost")
	}
	d.handle(sig(42, "accept")) // already handled: nothing more
	select {
	case got := <-ran:
		t.Fatalf("the action ran twice (%q)", got)
	case <-time.After(100 * time.Millisecond):
	}
	if _, ok := d.early[99]; !ok {
		t.Fatal("the stray early action was not kept for its Show")
	}
}
