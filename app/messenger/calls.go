package messenger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/store"
)

// CallSignal is one call signaling message from a contact, decrypted. Blob is
// opaque here (package calls decodes it).
type CallSignal struct {
	Contact store.ContactID
	Handle  handle.Handle
	SentAt  time.Time
	Blob    []byte
}

// CallHandler receives call signals. It runs on the receive path: it must
// not block for long.
type CallHandler func(ctx context.Context, s CallSignal)

// callHook holds the handler; calls start after the messenger, so it is set
// late and read on every received signal.
type callHook struct {
	mu sync.RWMutex
	fn CallHandler
}

func (h *callHook) set(fn CallHandler) {
	h.mu.Lock()
	h.fn = fn
	h.mu.Unlock()
}

func (h *callHook) get() CallHandler {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.fn
}

// SetCallHandler makes fn receive every call signal from an accepted
// contact (nil stops them). Signals from message requests and blocked
// contacts never ring: they are dropped.
func (m *Messenger) SetCallHandler(fn CallHandler) { m.calls.set(fn) }

// SendCallSignal delivers a call signaling blob to h's devices at once (no
// outbox: a late offer is worse than none). Calling someone accepts their
// conversation, as writing to them does.
func (m *Messenger) SendCallSignal(ctx context.Context, h handle.Handle, blob []byte) error {
	c, _, msg, err := m.startMessage(ctx, h, content.KindCall)
	if err != nil {
		return err
	}
	msg.Call = blob
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("call signal: %w", err)
	}
	return m.deliver(ctx, c, msg)
}

// receiveCall hands a decrypted call signal to the handler.
func (m *Messenger) receiveCall(ctx context.Context, c store.Contact, cs ContactState, msg *content.Message) {
	fn := m.calls.get()
	if cs != StateAccepted || fn == nil {
		m.cfg.Log.Info("call signal dropped", "reason", callDropReason(cs, fn))
		return
	}
	h, err := handle.Parse(c.Handle)
	if err != nil {
		m.cfg.Log.Warn("call signal from a contact without a valid handle")
		return
	}
	fn(ctx, CallSignal{Contact: c.ID, Handle: h, SentAt: msg.SentAt, Blob: msg.Call})
}

func callDropReason(cs ContactState, fn CallHandler) string {
	if fn == nil {
		return "calls are not running"
	}
	return "conversation is " + cs.String()
}

// CallLogEntry records a finished call in the conversation with h (and in
// the profile's call log) and tells the UI.
func (m *Messenger) CallLogEntry(ctx context.Context, h handle.Handle, outgoing bool, entry store.CallEntry, startedAt time.Time) (store.MessageID, error) {
	c, err := m.st.ContactByHandle(ctx, h.String())
	if err != nil {
		return 0, fmt.Errorf("call log: contact: %w", err)
	}
	conv, err := m.st.EnsureConversation(ctx, c.ID)
	if err != nil {
		return 0, fmt.Errorf("call log: conversation: %w", err)
	}
	dir, status, sender := store.Incoming, store.StatusRead, c.ID
	if outgoing {
		dir, status, sender = store.Outgoing, store.StatusSent, 0
	} else if entry.Outcome == store.CallMissed {
		status = store.StatusDelivered // unread: a missed call counts
	}
	e := entry
	row := store.Message{Conversation: conv.ID, Direction: dir, Status: status, Sender: sender, Call: &e,
		SentAt: startedAt, ReceivedAt: m.cfg.Now()}
	id, err := m.st.InsertMessage(ctx, row)
	if err != nil {
		return 0, fmt.Errorf("call log: %w", err)
	}
	if _, err := m.st.AddCall(ctx, store.CallRecord{Contact: c.ID, Direction: dir, Video: entry.Video, Outcome: entry.Outcome,
		StartedAt: startedAt, EndedAt: m.cfg.Now()}); err != nil {
		return id, fmt.Errorf("call log: %w", err)
	}
	m.cfg.Events.Emit(Event{Kind: EventMessage, Contact: c.ID, Conversation: conv.ID, Message: id})
	return id, nil
}

// TURN returns short-lived credentials for the relay's TURN service, for the
// ICE servers of one call.
func (m *Messenger) TURN(ctx context.Context) (api.TURNCredentials, error) {
	creds, err := m.relay.TURN(ctx)
	if err != nil {
		return api.TURNCredentials{}, fmt.Errorf("TURN credentials: %w", err)
	}
	return creds, nil
}
