package messenger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/store"
)

// The outbox is the set of outgoing messages still pending: stored, but not
// yet acknowledged by the relay (it was unreachable, or the app stopped
// mid-send). Run retries them with exponential backoff, from the first pass
// after start-up on; a new pending message starts a pass at once. A retry
// encrypts afresh (a new ratchet step, never a reused key) under the same
// message id, so a receiver that got an earlier attempt stores it once.
//
// A file message is sent from the copy kept in the profile: if its upload
// finished, the pointer to the blobs (kept sealed in the store until the
// relay has the message) is sent again as it was; if not, or if the blobs are
// about to expire at the relay, the copy is encrypted under a new key and
// uploaded again first. A message the outbox cannot send, or gave up on
// after outboxGiveUp, is marked failed; Retry puts it back.

const (
	outboxMinDelay = time.Second
	outboxMaxDelay = time.Minute
	outboxScan     = 200 // recent messages per conversation checked for pending ones
	// outboxGiveUp: a message that has failed to go for this long (since it
	// was written, or since the person last asked to retry it) is marked
	// failed; Retry puts it back in the outbox.
	outboxGiveUp = 24 * time.Hour
)

// errUnsendable marks a message that no retry can send (its kept file is
// gone or damaged, or it is malformed): the outbox marks it failed at once.
var errUnsendable = errors.New("message cannot be sent")

// permanent says whether a send error will be the same on every retry.
func permanent(err error) bool {
	return errors.Is(err, errUnsendable) || api.HasCode(err, api.CodeTooLarge) || api.HasCode(err, api.CodeBadRequest)
}

// claim marks a message as being sent by one caller (a send, an outbox pass
// or a retry), so no other sends it at the same time (for a file: uploads
// it twice). It reports false if someone already has it.
func (m *Messenger) claim(id store.MessageID) bool {
	m.sendingMu.Lock()
	defer m.sendingMu.Unlock()
	if m.sending[id] {
		return false
	}
	if m.sending == nil {
		m.sending = map[store.MessageID]bool{}
	}
	m.sending[id] = true
	return true
}

// release ends a claim (a second release is harmless).
func (m *Messenger) release(id store.MessageID) {
	m.sendingMu.Lock()
	delete(m.sending, id)
	m.sendingMu.Unlock()
}

// givenUp says whether a message has been failing for outboxGiveUp.
func (m *Messenger) givenUp(row store.Message) bool {
	since := row.SentAt
	m.sendingMu.Lock()
	if t, ok := m.retried[row.ID]; ok && t.After(since) {
		since = t
	}
	m.sendingMu.Unlock()
	return m.cfg.Now().Sub(since) > outboxGiveUp
}

// Retry puts a failed outgoing message (text or file) back in the outbox
// and starts a pass at once; for a pending one it only starts the pass. The
// message keeps its id, so a recipient who got an earlier attempt stores it
// once. Progress and the outcome arrive as events.
func (m *Messenger) Retry(ctx context.Context, id store.MessageID) error {
	row, err := m.st.Message(ctx, id)
	if err != nil || row.Direction != store.Outgoing || row.Call != nil {
		return ErrNoSuchMessage
	}
	switch row.Status {
	case store.StatusFailed:
		conv, err := m.st.Conversation(ctx, row.Conversation)
		if err != nil {
			return fmt.Errorf("retry: conversation: %w", err)
		}
		m.sendingMu.Lock()
		if m.retried == nil {
			m.retried = map[store.MessageID]time.Time{}
		}
		m.retried[id] = m.cfg.Now()
		m.sendingMu.Unlock()
		if err := m.setStatus(ctx, conv.Contact, conv.ID, id, store.StatusPending); err != nil {
			return err
		}
	case store.StatusPending:
	default:
		return nil // already with the relay
	}
	m.kickOutbox()
	return nil
}

// kickOutbox asks the retry loop for a pass now.
func (m *Messenger) kickOutbox() {
	select {
	case m.outboxKick <- struct{}{}:
	default:
	}
}

// outboxLoop retries pending messages until ctx ends.
func (m *Messenger) outboxLoop(ctx context.Context) {
	delay := outboxMinDelay
	timer := time.NewTimer(0) // a first pass right away: what a crash left pending
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.outboxKick:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			delay = outboxMinDelay
		case <-timer.C:
		}
		left, err := m.retryPending(ctx)
		switch {
		case err != nil:
			m.cfg.Log.Warn("outbox: relay not reachable, will retry", "in", delay.String(), "err", err.Error())
			timer.Reset(delay)
			delay = min(2*delay, outboxMaxDelay)
		case left > 0:
			timer.Reset(delay)
		default:
			delay = outboxMinDelay
		}
	}
}

// retryPending sends every pending outgoing message, oldest first, and
// reports how many are still pending. A message that cannot be sent at all
// (its kept file is gone, the relay refuses it as malformed or too large),
// or that kept failing for outboxGiveUp, is marked failed and the pass goes
// on; any other failure ends the pass, to be tried again after the backoff.
func (m *Messenger) retryPending(ctx context.Context) (int, error) {
	convs, err := m.st.Conversations(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	left := 0
	for _, conv := range convs {
		msgs, err := m.st.Messages(ctx, conv.ID, 0, outboxScan)
		if err != nil {
			return 0, fmt.Errorf("outbox: %w", err)
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			row := msgs[i]
			if row.Direction != store.Outgoing || row.Status != store.StatusPending {
				continue
			}
			if !m.claim(row.ID) {
				continue // a send or another pass is on it
			}
			err := m.resend(ctx, conv, row)
			m.release(row.ID)
			switch {
			case err == nil:
			case ctx.Err() != nil:
				return left + 1, err // stopping: not the message's fault
			case permanent(err) || m.givenUp(row):
				m.cfg.Log.Warn("outbox: message marked failed", "err", err.Error())
				if err := m.setStatus(ctx, conv.Contact, conv.ID, row.ID, store.StatusFailed); err != nil {
					return left + 1, err
				}
			default:
				return left + 1, err
			}
		}
	}
	return left, nil
}

// resend delivers a pending message again under its original id.
func (m *Messenger) resend(ctx context.Context, conv store.Conversation, row store.Message) error {
	c, err := m.st.Contact(ctx, conv.Contact)
	if err != nil {
		return fmt.Errorf("outbox: contact: %w", err)
	}
	if c.Verification == store.KeyChanged {
		return nil // stays pending until the user verifies again
	}
	if state, err := m.State(ctx, c.ID); err != nil || state == StateBlocked {
		return err
	}
	kind := content.KindText
	if row.File {
		kind = content.KindAttachment
	}
	msg := &content.Message{Kind: kind, SentAt: row.SentAt, Sender: m.handle.String(), Token: m.token, Text: row.Body}
	copy(msg.ID[:], row.RemoteID)
	if row.ReplyTo != 0 {
		if orig, err := m.st.Message(ctx, row.ReplyTo); err == nil {
			copy(msg.ReplyTo[:], orig.RemoteID)
		}
	}
	if row.File {
		return m.resendFile(ctx, c, conv, row, msg)
	}
	if err := m.deliver(ctx, c, msg); err != nil {
		return err
	}
	return m.setStatus(ctx, c.ID, conv.ID, row.ID, store.StatusSent)
}

// reuploadBefore: blobs that expire at the relay within this time are
// uploaded again before the message is resent, so the recipient has time to
// fetch them.
const reuploadBefore = 24 * time.Hour

// resendFile delivers a pending file message: with the pointer kept from an
// earlier upload when there is one that is not about to expire, else after
// uploading the kept copy again (the new pointer is kept before delivery).
func (m *Messenger) resendFile(ctx context.Context, c store.Contact, conv store.Conversation, row store.Message, msg *content.Message) error {
	files, err := m.st.Attachments(ctx, row.ID)
	if err != nil {
		return fmt.Errorf("outbox: attachments: %w", err)
	}
	if len(files) == 0 {
		// The app stopped before the copy of the file was kept: there is
		// nothing to send, and the message goes (as it would have then).
		m.cfg.Log.Warn("outbox: a file message without its file is removed")
		if err := m.st.DeleteMessage(ctx, row.ID); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		m.cfg.Events.Emit(Event{Kind: EventUpdated, Contact: c.ID, Conversation: conv.ID, Message: row.ID})
		return nil
	}
	a := files[0]
	var ptr *filePointer
	if a.Remote != nil {
		if p, err := parseFilePointer(a.Remote); err == nil && m.cfg.Now().Add(reuploadBefore).Before(p.Expires) {
			ptr = p
		}
	}
	if ptr == nil {
		if ptr, err = m.uploadCopy(ctx, c.ID, conv.ID, row, a); err != nil {
			return err
		}
		if err := m.st.SetAttachmentRemote(ctx, a.ID, ptr.marshal()); err != nil {
			m.cfg.Log.Warn("file pointer not kept: a retry will upload again", "err", err.Error())
		}
	}
	defer ptr.wipe()
	msg.Attachment = &content.Attachment{Name: a.Name, MIME: a.MIME, Size: a.Size, Key: ptr.Key, Digest: ptr.Digest, Blobs: ptr.Blobs}
	defer clear(msg.Attachment.Key[:])
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUnsendable, err)
	}
	if err := m.deliver(ctx, c, msg); err != nil {
		return err
	}
	return m.sent(ctx, c.ID, conv.ID, row.ID, a.ID)
}
