package messenger

import "github.com/sotto-im/sotto/store"

// EventKind says what happened.
type EventKind string

const (
	// EventMessage: a message arrived (or was sent from this device).
	EventMessage EventKind = "message"
	// EventStatus: an outgoing message's status moved (sent, delivered, read, failed).
	EventStatus EventKind = "status"
	// EventRequest: someone new wrote; their conversation is a message request.
	EventRequest EventKind = "request"
	// EventKeyChanged: a contact's safety number changed.
	EventKeyChanged EventKind = "key-changed"
	// EventTyping: a contact started or stopped typing.
	EventTyping EventKind = "typing"
	// EventUpdated: a message was edited, deleted or reacted to.
	EventUpdated EventKind = "updated"
	// EventProgress: an attachment transfer moved (Done of Total bytes).
	EventProgress EventKind = "progress"
	// EventProofOfWork: registration's proof of work made another attempt
	// (Done attempts of Total expected).
	EventProofOfWork EventKind = "proof-of-work"
	// EventTransparency: a key-transparency check failed (Status says why;
	// Contact is 0 for the account's own entries and split views). See
	// Messenger.Transparency.
	EventTransparency EventKind = "transparency"
)

// Event is one thing the UI, notifications or the CLI may want to show. It
// names rows of the profile; readers fetch what they need from there.
type Event struct {
	Kind         EventKind            `json:"kind"`
	Contact      store.ContactID      `json:"contact,omitempty"`
	Conversation store.ConversationID `json:"conversation,omitempty"`
	Message      store.MessageID      `json:"message,omitempty"`
	Status       string               `json:"status,omitempty"`
	Typing       bool                 `json:"typing,omitempty"`
	Done         int64                `json:"done,omitempty"`
	Total        int64                `json:"total,omitempty"`
}

// Emitter receives events. Emit must not block for long: it runs on the
// receive path.
type Emitter interface {
	Emit(Event)
}

// EmitterFunc adapts a function to Emitter.
type EmitterFunc func(Event)

// Emit calls f.
func (f EmitterFunc) Emit(e Event) { f(e) }

type discardEvents struct{}

func (discardEvents) Emit(Event) {}
