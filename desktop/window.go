package desktop

// Window is the app window as the shell drives it (main.go adapts Wails'
// runtime to it).
type Window interface {
	// Show brings the window back: unminimised, shown, raised.
	Show()
	// Hide hides the window (the app keeps running in the tray).
	Hide()
	// Emit sends an event to the UI.
	Emit(name string, data any)
	// Quit ends the app.
	Quit()
}

// OpenEventName is the event that asks the UI to open something: a chat or
// the pre-call screen (payload: OpenRequest).
const OpenEventName = "sotto:open"

// OpenKind is what an OpenRequest opens.
type OpenKind string

const (
	// OpenNone: nothing to open.
	OpenNone OpenKind = ""
	// OpenChat opens a conversation (by id, or by handle).
	OpenChat OpenKind = "chat"
	// OpenCall opens the pre-call screen for a handle (empty: the person
	// types one, from the tray's Start call…). It never rings.
	OpenCall OpenKind = "call"
)

// OpenRequest asks the UI to open a chat or the pre-call screen.
type OpenRequest struct {
	Kind         OpenKind `json:"kind"`
	Handle       string   `json:"handle,omitempty"`
	Conversation int64    `json:"conversation,omitempty"`
	Video        bool     `json:"video,omitempty"`
	// Source says where it came from: link, notification, tray.
	Source string `json:"source"`
}
