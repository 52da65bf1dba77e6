package app

import (
	"context"
	"errors"

	"github.com/sotto-im/sotto/app/messenger"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/store"
)

// What the desktop shell (notifications, the tray badge, the pre-call
// screen) asks of Chats. The shell lives in desktop/; these are functions,
// not methods, where Wails must not offer them to the UI.

// Notice is what a notification may say about a message that just arrived.
// The shell decides how much of it to show (Level).
type Notice struct {
	Conversation int64
	Handle       string
	Text         string // the message, or a word for an attachment
	Request      bool   // from someone not yet accepted
	Muted        bool
	Blocked      bool
	// Level is the notification content preference: "full", "name" or "none".
	Level string
}

// NoticeFor describes the message an EventMessage names, when it is an
// incoming one (ok false for outgoing messages and other events).
func NoticeFor(c *Chats, e messenger.Event) (Notice, bool, error) {
	if e.Kind != messenger.EventMessage || e.Message == 0 {
		return Notice{}, false, nil
	}
	m, err := c.messenger()
	if err != nil {
		return Notice{}, false, err
	}
	ctx := context.Background()
	msg, err := m.Store().Message(ctx, e.Message)
	if err != nil {
		return Notice{}, false, err
	}
	if msg.Direction != store.Incoming {
		return Notice{}, false, nil
	}
	conv, contact, err := conversationContact(ctx, m, int64(msg.Conversation))
	if err != nil {
		return Notice{}, false, err
	}
	state, err := m.State(ctx, contact.ID)
	if err != nil {
		return Notice{}, false, err
	}
	n := Notice{Conversation: int64(conv.ID), Handle: contact.Handle, Text: msg.Body, Muted: conv.Muted,
		Request: state == messenger.StateRequest, Blocked: state == messenger.StateBlocked,
		Level: c.preferences().NotificationContent}
	if n.Text == "" {
		if files, err := m.Store().Attachments(ctx, msg.ID); err == nil && len(files) > 0 {
			n.Text = "Sent a file"
		}
	}
	return n, true, nil
}

// UnreadTotal counts unread incoming messages in conversations that are
// neither muted nor blocked: the tray badge.
func UnreadTotal(c *Chats) (int, error) {
	convs, err := c.Conversations()
	if errors.Is(err, ErrNotSignedIn) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range convs {
		if !v.Muted && v.State != messenger.StateBlocked.String() {
			n += v.Unread
		}
	}
	return n, nil
}

// PreCallView is the pre-call screen a call link opens: who, and how sure
// Sotto is that it is them.
type PreCallView struct {
	Handle string `json:"handle"`
	// Known: there is a conversation with this handle on this device.
	Known        bool  `json:"known"`
	Conversation int64 `json:"conversation"` // 0 when not known
	// Verification is unverified, verified or key-changed; "unknown" when
	// Sotto has never talked with the handle (its safety number is not known
	// yet).
	Verification string `json:"verification"`
	State        string `json:"state"` // accepted, request, blocked; "" when not known
}

// PreCall describes a handle for the pre-call screen without creating a
// conversation or contacting anyone.
func (c *Chats) PreCall(handleText string) (PreCallView, error) {
	m, h, err := c.messengerAnd(handleText)
	if err != nil {
		return PreCallView{}, err
	}
	return preCall(context.Background(), m, h)
}

func preCall(ctx context.Context, m *messenger.Messenger, h handle.Handle) (PreCallView, error) {
	v := PreCallView{Handle: h.String(), Verification: "unknown"}
	contact, err := m.Store().ContactByHandle(ctx, h.String())
	if errors.Is(err, store.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return PreCallView{}, err
	}
	state, err := m.State(ctx, contact.ID)
	if err != nil {
		return PreCallView{}, err
	}
	v.Known, v.Verification, v.State = true, contact.Verification.String(), state.String()
	changed, err := m.KeyChangedAt(ctx, contact.ID)
	if err != nil {
		return PreCallView{}, err
	}
	if !changed.IsZero() {
		v.Verification = "key-changed"
	}
	convs, err := m.Store().Conversations(ctx)
	if err != nil {
		return PreCallView{}, err
	}
	for _, cv := range convs {
		if cv.Contact == contact.ID {
			v.Conversation = int64(cv.ID)
		}
	}
	return v, nil
}
