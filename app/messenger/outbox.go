package messenger

import (
	"context"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/store"
)

// The outbox is the set of outgoing messages still pending: stored, but not
// yet acknowledged by the relay (it was unreachable, or the app stopped
// mid-send). Run retries them with exponential backoff, from the first pass
// after start-up on; a new pending message starts a pass at once. A retry
// encrypts afresh (a new ratchet step, never a reused key) under the same
// message id, so a receiver that got an earlier attempt stores it once.

const (
	outboxMinDelay = time.Second
	outboxMaxDelay = time.Minute
	outboxScan     = 200 // recent messages per conversation checked for pending ones
)

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
// reports how many are still pending.
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
			if err := m.resend(ctx, conv, row); err != nil {
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
	msg := &content.Message{Kind: content.KindText, SentAt: row.SentAt, Sender: m.handle.String(), Token: m.token, Text: row.Body}
	copy(msg.ID[:], row.RemoteID)
	if row.ReplyTo != 0 {
		if orig, err := m.st.Message(ctx, row.ReplyTo); err == nil {
			copy(msg.ReplyTo[:], orig.RemoteID)
		}
	}
	if err := m.deliver(ctx, c, msg); err != nil {
		return err
	}
	return m.setStatus(ctx, c.ID, conv.ID, row.ID, store.StatusSent)
}
