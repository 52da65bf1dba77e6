package messenger

import (
	"context"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/store"
)

// sendReceipt tells c that the message with protocol id target was
// delivered or read.
func (m *Messenger) sendReceipt(ctx context.Context, c store.Contact, target content.ID, r content.Receipt) error {
	msg, err := m.newContent(content.KindReceipt)
	if err != nil {
		return err
	}
	msg.Target, msg.Receipt = target, r
	return m.deliver(ctx, c, msg)
}

// conversationContact returns the conversation and its contact, refusing
// sends to blocked contacts and to verified contacts whose key changed.
func (m *Messenger) conversationContact(ctx context.Context, id store.ConversationID) (store.Conversation, store.Contact, error) {
	conv, err := m.st.Conversation(ctx, id)
	if err != nil {
		return store.Conversation{}, store.Contact{}, fmt.Errorf("conversation: %w", err)
	}
	c, err := m.st.Contact(ctx, conv.Contact)
	if err != nil {
		return store.Conversation{}, store.Contact{}, fmt.Errorf("contact: %w", err)
	}
	if c.Verification == store.KeyChanged {
		return store.Conversation{}, store.Contact{}, ErrKeyChanged
	}
	state, err := m.State(ctx, c.ID)
	if err != nil {
		return store.Conversation{}, store.Contact{}, err
	}
	if state == StateBlocked {
		return store.Conversation{}, store.Contact{}, ErrBlocked
	}
	return conv, c, nil
}

// readScan is how many earlier messages MarkRead and a read receipt look at
// in one page.
const readScan = 500

// MarkRead marks the incoming message id and the unread incoming messages
// before it in its conversation as read (paging back until a page has none
// unread) and, when the conversation is
// accepted and readReceipts is on, tells the sender with one read receipt:
// a read receipt covers its target and everything sent before it.
func (m *Messenger) MarkRead(ctx context.Context, id store.MessageID, readReceipts bool) error {
	msg, err := m.st.Message(ctx, id)
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if msg.Direction != store.Incoming {
		return nil
	}
	conv, c, err := m.conversationContact(ctx, msg.Conversation)
	if err != nil {
		return err
	}
	// Page back while pages still hold unread messages.
	marked := false
	page := []store.Message{msg}
	for len(page) > 0 {
		unread := false
		for _, e := range page {
			if e.Direction != store.Incoming || e.Status == store.StatusRead {
				continue
			}
			if err := m.setStatus(ctx, c.ID, conv.ID, e.ID, store.StatusRead); err != nil {
				return fmt.Errorf("mark read: %w", err)
			}
			marked, unread = true, true
		}
		if !unread && len(page) > 1 {
			break
		}
		if page, err = m.st.Messages(ctx, conv.ID, page[len(page)-1].ID, readScan); err != nil {
			return fmt.Errorf("messages before %d: %w", id, err)
		}
	}
	if !marked {
		return nil
	}
	state, err := m.State(ctx, c.ID)
	if err != nil || state != StateAccepted || !readReceipts {
		return err
	}
	var target content.ID
	copy(target[:], msg.RemoteID)
	return m.sendReceipt(ctx, c, target, content.ReceiptRead)
}

// markReadUpTo applies a read receipt for target: it and the messages sent
// before it that the relay took (sent, delivered) are read. The scan stops at
// the first one already read: everything before it was covered then.
func (m *Messenger) markReadUpTo(ctx context.Context, c store.ContactID, conv store.ConversationID, target store.Message) error {
	if err := m.setStatus(ctx, c, conv, target.ID, store.StatusRead); err != nil {
		return err
	}
	earlier, err := m.st.Messages(ctx, conv, target.ID, readScan)
	if err != nil {
		return fmt.Errorf("messages before %d: %w", target.ID, err)
	}
	for _, e := range earlier {
		if e.Direction != store.Outgoing {
			continue
		}
		if e.Status == store.StatusRead {
			break
		}
		if e.Status != store.StatusSent && e.Status != store.StatusDelivered {
			continue // not sent yet (pending) or given up: the reader has not seen it
		}
		if err := m.setStatus(ctx, c, conv, e.ID, store.StatusRead); err != nil {
			return err
		}
	}
	return nil
}

// React sets (or with "" removes) this account's reaction on a message.
func (m *Messenger) React(ctx context.Context, id store.MessageID, emoji string) error {
	return m.control(ctx, id, content.KindReaction, func(msg *content.Message) { msg.Emoji = emoji },
		func(self store.ContactID) error { return m.st.React(ctx, id, self, emoji) })
}

// Edit replaces the text of one of this account's messages, for everyone.
func (m *Messenger) Edit(ctx context.Context, id store.MessageID, text string) error {
	return m.control(ctx, id, content.KindEdit, func(msg *content.Message) { msg.Text = text },
		func(store.ContactID) error { return m.st.EditMessage(ctx, id, text) })
}

// DeleteForEveryone deletes one of this account's messages here and on the
// contact's devices.
func (m *Messenger) DeleteForEveryone(ctx context.Context, id store.MessageID) error {
	return m.control(ctx, id, content.KindDelete, func(*content.Message) {},
		func(store.ContactID) error { return m.st.DeleteMessage(ctx, id) })
}

// control sends a message about message id and applies it locally.
func (m *Messenger) control(ctx context.Context, id store.MessageID, kind content.Kind, fill func(*content.Message), local func(self store.ContactID) error) error {
	target, err := m.st.Message(ctx, id)
	if err != nil {
		return ErrNoSuchMessage
	}
	if (kind == content.KindEdit || kind == content.KindDelete) && target.Direction != store.Outgoing {
		return fmt.Errorf("%w: only your own messages can be changed for everyone", ErrNoSuchMessage)
	}
	conv, c, err := m.conversationContact(ctx, target.Conversation)
	if err != nil {
		return err
	}
	msg, err := m.newContent(kind)
	if err != nil {
		return err
	}
	copy(msg.Target[:], target.RemoteID)
	fill(msg)
	if err := msg.Validate(); err != nil {
		return err
	}
	if err := m.deliver(ctx, c, msg); err != nil {
		return err
	}
	if err := local(0); err != nil {
		return fmt.Errorf("apply %s: %w", kind, err)
	}
	m.cfg.Events.Emit(Event{Kind: EventUpdated, Contact: c.ID, Conversation: conv.ID, Message: id})
	return nil
}

// SetTyping tells an accepted contact that this account started or stopped
// typing (when typing indicators are on).
func (m *Messenger) SetTyping(ctx context.Context, conv store.ConversationID, typing bool) error {
	_, c, err := m.conversationContact(ctx, conv)
	if err != nil {
		return err
	}
	if state, err := m.State(ctx, c.ID); err != nil || state != StateAccepted {
		return err
	}
	msg, err := m.newContent(content.KindTyping)
	if err != nil {
		return err
	}
	msg.Typing = typing
	return m.deliver(ctx, c, msg)
}

// SetTimer sets the conversation's disappearing-messages timer for both sides.
func (m *Messenger) SetTimer(ctx context.Context, id store.ConversationID, d time.Duration) error {
	conv, c, err := m.conversationContact(ctx, id)
	if err != nil {
		return err
	}
	msg, err := m.newContent(content.KindTimer)
	if err != nil {
		return err
	}
	msg.Timer = d
	if err := msg.Validate(); err != nil {
		return err
	}
	if err := m.deliver(ctx, c, msg); err != nil {
		return err
	}
	if err := m.st.SetConversationSettings(ctx, id, d, conv.Muted); err != nil {
		return fmt.Errorf("disappearing timer: %w", err)
	}
	m.cfg.Events.Emit(Event{Kind: EventUpdated, Contact: c.ID, Conversation: id})
	return nil
}
