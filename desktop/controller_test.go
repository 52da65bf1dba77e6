package desktop

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/app"
	"github.com/sotto-im/sotto/app/messenger"
	"github.com/sotto-im/sotto/desktop/deeplink"
	"github.com/sotto-im/sotto/desktop/desktoptest"
	"github.com/sotto-im/sotto/desktop/notify"
	"github.com/sotto-im/sotto/desktop/tray"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// fakeWindow records what the shell does to the window.
type fakeWindow struct {
	mu     sync.Mutex
	calls  []string
	opened chan OpenRequest
}

func newFakeWindow() *fakeWindow { return &fakeWindow{opened: make(chan OpenRequest, 8)} }

func (w *fakeWindow) add(s string) {
	w.mu.Lock()
	w.calls = append(w.calls, s)
	w.mu.Unlock()
}
func (w *fakeWindow) Show() { w.add("show") }
func (w *fakeWindow) Hide() { w.add("hide") }
func (w *fakeWindow) Quit() { w.add("quit") }
func (w *fakeWindow) Emit(name string, data any) {
	w.add("emit " + name)
	if r, ok := data.(OpenRequest); ok && name == OpenEventName {
		w.opened <- r
	}
}
func (w *fakeWindow) has(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.calls {
		if c == s {
			return true
		}
	}
	return false
}

type fakeTray struct {
	mu     sync.Mutex
	unread int
	dnd    tray.DND
	until  string
}

func (t *fakeTray) SetUnread(n int) { t.mu.Lock(); t.unread = n; t.mu.Unlock() }
func (t *fakeTray) SetDoNotDisturb(d tray.DND, until string) {
	t.mu.Lock()
	t.dnd, t.until = d, until
	t.mu.Unlock()
}
func (t *fakeTray) get() (int, tray.DND, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unread, t.dnd, t.until
}

const pass = "a passphrase for desktop tests"

type rig struct {
	ctl    *Controller
	alice  *app.Chats
	bob    *app.Chats
	fake   *desktoptest.Desktop
	window *fakeWindow
	tray   *fakeTray
	now    time.Time
}

// newRig: Alice's profile with the shell on a private bus with the fake
// notification server, and Bob, both registered on a real relay (accounts
// false: nobody registered, for tests that need no messages).
func newRig(t *testing.T, accounts bool) *rig {
	t.Helper()
	addr := desktoptest.Bus(t)
	fake, err := desktoptest.Start(addr, filepath.Join(t.TempDir(), "desktop.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	notifier, err := notify.NewDBus(addr, notify.DBusOptions{AppName: "Sotto", DesktopEntry: "sotto"})
	if err != nil {
		t.Fatal(err)
	}
	url := relaytest.Serve(t)
	r := &rig{fake: fake, window: newFakeWindow(), tray: &fakeTray{}, now: time.Date(2026, 3, 2, 14, 0, 0, 0, time.Local)}
	var ctl *Controller
	var ctlMu sync.Mutex
	dir := filepath.Join(t.TempDir(), "profiles", "alice")
	r.alice = app.NewChats("alice", dir, url, slog.New(slog.DiscardHandler), func(e messenger.Event) {
		ctlMu.Lock()
		c := ctl
		ctlMu.Unlock()
		if c != nil {
			c.HandleEvent(e)
		}
	})
	r.bob = app.NewChats("bob", filepath.Join(t.TempDir(), "bob"), url, slog.New(slog.DiscardHandler), nil)
	t.Cleanup(func() { _ = app.CloseChats(r.alice); _ = app.CloseChats(r.bob) })
	c, err := New(Config{Chats: r.alice, Profile: "alice", DataDir: dir, Executable: "/usr/bin/sotto", Notifier: notifier,
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return r.now }})
	if err != nil {
		t.Fatal(err)
	}
	c.AttachWindow(r.window)
	c.AttachTray(r.tray)
	c.Start()
	t.Cleanup(c.Stop)
	ctlMu.Lock()
	ctl = c
	ctlMu.Unlock()
	r.ctl = c
	if !accounts {
		return r
	}
	if _, err := r.alice.Register("alice", "", pass); err != nil {
		t.Fatal(err)
	}
	if _, err := r.bob.Register("bob", "", pass); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) bobSays(t *testing.T, text string) {
	t.Helper()
	conv, err := r.bob.StartConversation("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.bob.Send(conv.ID, text, 0); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) setLevel(t *testing.T, level string) {
	t.Helper()
	p := r.alice.Preferences()
	p.NotificationContent = level
	if _, err := r.alice.SetPreferences(p); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) next(t *testing.T, skip int, what string) desktoptest.Notify {
	t.Helper()
	n, ok := r.fake.WaitNotify(20*time.Second, skip, nil)
	if !ok {
		t.Fatalf("no notification for %s", what)
	}
	return n
}

func (r *rig) none(t *testing.T, skip int, what string) {
	t.Helper()
	if n, ok := r.fake.WaitNotify(1500*time.Millisecond, skip, nil); ok {
		t.Fatalf("%s, yet a notification: %+v", what, n)
	}
}

// TestMessageNotifications: a message from someone new is a message
// request; accepted, messages notify at the chosen content level (name and
// text / name only / nothing, each saying why content is hidden); a click
// focuses the window on that chat; Do not disturb and reading the chat hold
// notifications back; the tray badge follows the unread count.
func TestMessageNotifications(t *testing.T) {
	r := newRig(t, true)

	r.bobSays(t, "Hello <Alice> & co")
	req := r.next(t, 0, "a message request")
	if req.Summary != "Message request from @bob" || req.Body != "Hello &lt;Alice&gt; &amp; co" || req.Category != "im.received" {
		t.Fatalf("request notification %+v", req)
	}
	if keys := req.ActionKeys(); len(keys) != 1 || keys[0] != "default" {
		t.Fatalf("message notification actions %v", keys)
	}
	if !r.fake.Wait(5*time.Second, func() bool { u, _, _ := r.tray.get(); return u == 1 }) {
		u, _, _ := r.tray.get()
		t.Fatalf("tray unread %d, want 1", u)
	}

	// Click: the window comes back on that chat.
	r.ctl.Service().TakeOpen() // the UI is up: requests arrive as events
	if err := r.fake.Invoke(req.ID, "default"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-r.window.opened:
		if got.Kind != OpenChat || got.Conversation == 0 || got.Source != "notification" {
			t.Fatalf("click opened %+v", got)
		}
		if !r.window.has("show") {
			t.Fatal("click did not show the window")
		}
		if err := r.alice.Accept(got.Conversation); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("clicking the notification opened nothing")
	}

	seen := len(r.fake.Notifications())
	for _, c := range []struct {
		level, title, body string
	}{
		{"full", "@bob", "second  line\nthird"},
		{"name", "@bob", hiddenText},
		{"none", "Sotto", "New message. " + hiddenAll},
	} {
		r.setLevel(t, c.level)
		r.bobSays(t, "second  line\nthird")
		n := r.next(t, seen, "level "+c.level)
		seen++
		want := c.body
		if c.level == "full" {
			want = "second line third"
		}
		if n.Summary != c.title || n.Body != want {
			t.Fatalf("level %s: %q / %q, want %q / %q", c.level, n.Summary, n.Body, c.title, want)
		}
		if c.level != "full" && strings.Contains(n.Summary+n.Body, "third") {
			t.Fatalf("level %s shows the text", c.level)
		}
		if c.level == "none" && strings.Contains(n.Summary+n.Body, "bob") {
			t.Fatalf("level none shows who: %+v", n)
		}
	}
	if !r.fake.Wait(5*time.Second, func() bool { u, _, _ := r.tray.get(); return u == 4 }) {
		u, _, _ := r.tray.get()
		t.Fatalf("tray unread %d, want 4", u)
	}

	// Do not disturb: nothing, and the tray says until when.
	if _, err := r.ctl.Service().SetDoNotDisturb("hour"); err != nil {
		t.Fatal(err)
	}
	if _, d, until := r.tray.get(); d != tray.DNDHour || until != "until 15:00" {
		t.Fatalf("tray DND %v %q", d, until)
	}
	r.setLevel(t, "full")
	r.bobSays(t, "during do not disturb")
	r.none(t, seen, "do not disturb is on")
	// An hour later it is over.
	r.now = r.now.Add(61 * time.Minute)
	if v := r.ctl.Service().DoNotDisturb(); v.Active {
		t.Fatalf("DND still active an hour later: %+v", v)
	}
	r.bobSays(t, "after do not disturb")
	if n := r.next(t, seen, "do not disturb over"); n.Body != "after do not disturb" {
		t.Fatalf("after DND: %+v", n)
	}
	seen++

	// Reading that chat in a focused window: no notification.
	convs, err := r.alice.Conversations()
	if err != nil || len(convs) != 1 {
		t.Fatalf("conversations %v %v", convs, err)
	}
	r.ctl.Service().WindowState(true, convs[0].ID)
	r.bobSays(t, "you are reading this")
	r.none(t, seen, "the chat is open in a focused window")
	r.ctl.Service().WindowState(false, convs[0].ID)
	if err := r.alice.MarkRead(convs[0].ID); err != nil {
		t.Fatal(err)
	}
	r.ctl.Service().WindowState(true, convs[0].ID)
	if u, _, _ := r.tray.get(); u != 0 {
		t.Fatalf("all read, tray unread %d", u)
	}
}

// TestRingAcceptDecline: the incoming-call notification carries Accept and
// Decline; each runs its own callback; withdrawing closes it; Do not
// disturb holds it back.
func TestRingAcceptDecline(t *testing.T) {
	r := newRig(t, false)
	got := make(chan string, 4)
	withdraw := r.ctl.Ring(IncomingCall{Handle: "bob", Video: true, Accept: func() { got <- "accept" }, Decline: func() { got <- "decline" }})
	n := r.next(t, 0, "an incoming call")
	if n.Summary != "@bob is calling" || n.Body != "Video call" || n.Urgency != 2 || n.Category != "call.incoming" ||
		strings.Join(n.ActionKeys(), ",") != "default,accept,decline" {
		t.Fatalf("call notification %+v", n)
	}
	if err := r.fake.Invoke(n.ID, "accept"); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-got:
		if g != "accept" {
			t.Fatalf("Accept ran %q", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept ran nothing")
	}
	if !r.window.has("show") {
		t.Fatal("Accept did not show the window")
	}

	withdraw2 := r.ctl.Ring(IncomingCall{Handle: "bob", Accept: func() { got <- "accept" }, Decline: func() { got <- "decline" }})
	n2 := r.next(t, 1, "a second call")
	if err := r.fake.Invoke(n2.ID, "decline"); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "decline" {
		t.Fatalf("Decline ran %q", g)
	}
	withdraw()
	withdraw2()
	if !r.fake.Wait(5*time.Second, func() bool {
		for _, rec := range r.fake.Records() {
			if rec.Call == "CloseNotification" {
				return true
			}
		}
		return false
	}) {
		t.Fatal("withdraw did not close the notification")
	}

	r.ctl.MissedCall("bob", false)
	m := r.next(t, 2, "a missed call")
	if m.Summary != "Missed call from @bob" || m.Category != "call.unanswered" {
		t.Fatalf("missed call: %+v", m)
	}
	if _, err := r.ctl.Service().SetDoNotDisturb("tomorrow"); err != nil {
		t.Fatal(err)
	}
	if v := r.ctl.Service().DoNotDisturb(); !v.Active || v.Label != "until tomorrow, 08:00" {
		t.Fatalf("DND view %+v", v)
	}
	r.ctl.Ring(IncomingCall{Handle: "bob", Accept: func() {}, Decline: func() {}})
	r.none(t, 3, "do not disturb until tomorrow")
}

// TestLinksAndWindow: a cold-start link waits for the UI; later links and
// second launches reach it as events and bring the window back; close hides
// to the tray only with that setting, and Quit always quits.
func TestLinksAndWindow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profiles", "work")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ctl, err := New(Config{Profile: "work", DataDir: dir, Executable: "/opt/sotto/sotto"})
	if err != nil {
		t.Fatal(err)
	}
	w := newFakeWindow()
	ctl.AttachWindow(w)
	ctl.HandleArgs([]string{"--profile", "work", "sotto://call/@Bob?video=1"}, false)
	if w.has("show") {
		t.Fatal("a cold start showed the window itself (Wails does)")
	}
	svc := ctl.Service()
	if got := svc.TakeOpen(); got != (OpenRequest{Kind: OpenCall, Handle: "bob", Video: true, Source: "link"}) {
		t.Fatalf("pending open %+v", got)
	}
	if got := svc.TakeOpen(); got.Kind != OpenNone {
		t.Fatalf("pending open twice: %+v", got)
	}
	ctl.HandleArgs([]string{"sotto://ring/@bob", "sotto://chat/@carol"}, true)
	select {
	case got := <-w.opened:
		if got.Kind != OpenChat || got.Handle != "carol" {
			t.Fatalf("second launch opened %+v", got)
		}
	case <-time.After(time.Second):
		t.Fatal("second launch's link opened nothing")
	}
	if !w.has("show") {
		t.Fatal("second launch did not show the window")
	}
	ctl.HandleURL("https://sotto.im/@dave")
	if got := <-w.opened; got.Handle != "dave" || got.Kind != OpenChat {
		t.Fatalf("URL opened %+v", got)
	}
	ctl.HandleURL("sotto://call/@dave?autoanswer=1")
	select {
	case got := <-w.opened:
		t.Fatalf("a bad link opened %+v", got)
	default:
	}
	if !StartHidden(true, []string{"--hidden"}) || StartHidden(true, []string{"--hidden", "sotto://chat/@bob"}) || StartHidden(false, nil) {
		t.Fatal("StartHidden")
	}
	var _ deeplink.Link

	if ctl.BeforeClose() {
		t.Fatal("close hid the window with Close to tray off")
	}
	p, err := svc.SetSettings(app.DesktopPreferences{CloseToTray: true, StartAtLogin: true, StartMinimised: true})
	if err != nil {
		t.Fatal(err)
	}
	if !p.CloseToTray || !p.StartAtLogin || !p.StartMinimised {
		t.Fatalf("saved %+v", p)
	}
	entry, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", "sotto-work.desktop"))
	if err != nil || !strings.Contains(string(entry), "Exec=/opt/sotto/sotto --profile work --hidden\n") {
		t.Fatalf("autostart entry %v:\n%s", err, entry)
	}
	if !ctl.BeforeClose() || !w.has("hide") {
		t.Fatal("close did not hide to the tray with the setting on")
	}
	again, err := New(Config{Profile: "work", DataDir: dir})
	if err != nil || !again.Service().Settings().CloseToTray {
		t.Fatalf("settings not kept: %v %+v", err, again.Service().Settings())
	}
	if _, err := svc.SetSettings(app.DesktopPreferences{CloseToTray: true}); err != nil {
		t.Fatal(err)
	}
	if svc.Settings().StartAtLogin {
		t.Fatal("Start at login still on after turning it off")
	}
	ctl.Quit()
	if ctl.BeforeClose() || !w.has("quit") {
		t.Fatal("Quit did not quit")
	}
	if _, err := svc.SetDoNotDisturb("forever"); err == nil {
		t.Fatal("an unknown Do not disturb choice was accepted")
	}
}

// TestWordsHideContent: at "none" no notification names anyone or quotes
// anything, and each says why.
func TestWordsHideContent(t *testing.T) {
	for _, request := range []bool{false, true} {
		title, body := messageWords(app.Notice{Handle: "bob", Text: "secret plan", Request: request, Level: "none"})
		if strings.Contains(title+body, "bob") || strings.Contains(title+body, "secret") || !strings.Contains(body, "notification setting") {
			t.Fatalf("none (request %v): %q / %q", request, title, body)
		}
		title, body = messageWords(app.Notice{Handle: "bob", Text: "secret plan", Request: request, Level: "name"})
		if !strings.Contains(title, "@bob") || strings.Contains(body, "secret") || !strings.Contains(body, "notification setting") {
			t.Fatalf("name (request %v): %q / %q", request, title, body)
		}
	}
	for _, f := range []func(string, string, bool) (string, string){callWords, missedWords} {
		title, body := f("none", "bob", true)
		if strings.Contains(title+body, "bob") || !strings.Contains(body, "notification setting") {
			t.Fatalf("call words at none: %q / %q", title, body)
		}
	}
	if got := preview(strings.Repeat("é", 400)); len(got) > previewBytes+len("…") {
		t.Fatalf("preview %d bytes", len(got))
	}
}

// fakeAnswerer records what an incoming-call notification's buttons did.
type fakeAnswerer struct{ got chan string }

func (f fakeAnswerer) Accept(id string, video bool) error {
	f.got <- fmt.Sprintf("accept %s video=%v", id, video)
	return nil
}
func (f fakeAnswerer) Decline(id string) error { f.got <- "decline " + id; return nil }

// TestCallChangesBecomeNotifications: an incoming call rings once however
// often its view repeats; Accept answers without the camera; the ring goes
// away when the call moves on; an unanswered call leaves a missed call.
func TestCallChangesBecomeNotifications(t *testing.T) {
	r := newRig(t, false)
	ans := fakeAnswerer{got: make(chan string, 4)}
	in := app.CallView{ID: "c1", Handle: "bob", State: "incoming", RemoteVideo: true}
	r.ctl.CallChanged(in, ans)
	r.ctl.CallChanged(in, ans) // the same state again: no second ring
	n := r.next(t, 0, "the incoming call")
	if n.Summary != "@bob is calling" || n.Body != "Video call" {
		t.Fatalf("ring %+v", n)
	}
	r.none(t, 1, "a repeated incoming state")
	if err := r.fake.Invoke(n.ID, "accept"); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-ans.got:
		if g != "accept c1 video=false" {
			t.Fatalf("Accept did %q", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept did nothing")
	}
	r.ctl.CallChanged(app.CallView{ID: "c1", Handle: "bob", State: "connecting"}, ans)
	if !r.fake.Wait(5*time.Second, func() bool {
		for _, rec := range r.fake.Records() {
			if rec.Call == "CloseNotification" {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the ring stayed after the call was answered")
	}
	// A second call that nobody answers.
	r.ctl.CallChanged(app.CallView{ID: "c2", Handle: "bob", State: "incoming"}, ans)
	r.next(t, 1, "the second call")
	r.ctl.CallChanged(app.CallView{ID: "c2", Handle: "bob", State: "ended", EndReason: "missed"}, ans)
	if m := r.next(t, 2, "the missed call"); m.Summary != "Missed call from @bob" {
		t.Fatalf("missed call %+v", m)
	}
	// Our own unanswered outgoing call is no missed call.
	r.ctl.CallChanged(app.CallView{ID: "c3", Handle: "bob", State: "ended", EndReason: "missed", Outgoing: true}, ans)
	r.none(t, 3, "an outgoing call nobody answered")
}
