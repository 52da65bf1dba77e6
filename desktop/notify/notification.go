package notify

import "errors"

// Urgency is how insistent a notification is.
type Urgency uint8

const (
	// UrgencyNormal is the default: messages.
	UrgencyNormal Urgency = iota
	// UrgencyLow is for things that can wait.
	UrgencyLow
	// UrgencyCritical stays on screen until handled: incoming calls.
	UrgencyCritical
)

func (u Urgency) String() string {
	switch u {
	case UrgencyLow:
		return "low"
	case UrgencyCritical:
		return "critical"
	}
	return "normal"
}

// freedesktop is the urgency hint value of the Desktop Notifications spec.
func (u Urgency) freedesktop() byte {
	switch u {
	case UrgencyLow:
		return 0
	case UrgencyCritical:
		return 2
	}
	return 1
}

// Action is a button on a notification. Do runs on its own goroutine when
// the button is pressed.
type Action struct {
	Key   string // stable identifier, e.g. "accept"; not "default"
	Label string // what the button says
	Do    func()
}

// Notification is one notice for the person.
type Notification struct {
	Title string
	Body  string
	// Category is a Desktop Notifications category such as "im.received",
	// "call.incoming" or "call.unanswered" (servers use it for sounds).
	Category string
	Urgency  Urgency
	// Tag groups notifications: a new one with the same tag replaces the
	// previous (one per conversation rather than a pile).
	Tag string
	// OnClick runs when the notification itself is clicked.
	OnClick func()
	// Link is the deep link a click opens where callbacks cannot reach the
	// app (Windows toasts launch it; the single-instance hand-off brings it
	// to the running window).
	Link    string
	Actions []Action
}

// ID names a shown notification.
type ID uint32

// Notifier shows notifications.
type Notifier interface {
	// Show displays n and returns its id.
	Show(n Notification) (ID, error)
	// Close withdraws a notification (an answered call's ringing notice).
	Close(id ID) error
	// Stop releases the notifier; callbacks no longer run.
	Stop() error
}

// ErrUnsupported: this system has no notification service Sotto can use.
var ErrUnsupported = errors.New("notify: no notification service on this system")

// maxBody caps the body sent to the notification service, in bytes.
const maxBody = 400

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// Discard is a Notifier that shows nothing (no notification service, or
// tests that do not look).
type Discard struct{}

// Show does nothing.
func (Discard) Show(Notification) (ID, error) { return 0, nil }

// Close does nothing.
func (Discard) Close(ID) error { return nil }

// Stop does nothing.
func (Discard) Stop() error { return nil }
