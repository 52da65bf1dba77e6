package messenger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/pqxdh"
	"github.com/sotto-im/sotto/crypto/ratchet"
	"github.com/sotto-im/sotto/crypto/sealed"
	"github.com/sotto-im/sotto/crypto/wire"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/store"
)

// errDrop marks an envelope that can never be processed (it does not open,
// does not decrypt, or says nothing valid): it is acknowledged and dropped so
// it cannot block the queue. Anything else is retried.
var errDrop = errors.New("drop")

const receiptTimeout = 10 * time.Second

// Run receives until ctx ends: each envelope is opened, decrypted, stored in
// the same transaction as its ratchet step, and only then acknowledged, so a
// crash loses nothing and a redelivered envelope is recognised. Connections
// are re-established with jittered backoff. Pending outgoing messages are
// retried meanwhile (see outbox.go). Run returns when ctx ends.
func (m *Messenger) Run(ctx context.Context) error {
	outboxDone := make(chan struct{})
	go func() {
		defer close(outboxDone)
		m.outboxLoop(ctx)
	}()
	defer func() { <-outboxDone }()
	ktDone := make(chan struct{})
	go func() {
		defer close(ktDone)
		m.transparencyLoop(ctx)
	}()
	defer func() { <-ktDone }()
	prekeysDone := make(chan struct{})
	go func() {
		defer close(prekeysDone)
		m.prekeyLoop(ctx)
	}()
	defer func() { <-prekeysDone }()
	m.maintainPrekeys(ctx)
	_, err := m.relay.Receive(ctx, 0, client.Backoff{Min: 250 * time.Millisecond, Max: 30 * time.Second}, m.handleEnvelope)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// errSessionChanged: a send took a ratchet step with the same device while
// this envelope was being decrypted; decrypting again from the new state
// works (nothing of the first attempt was stored).
var errSessionChanged = errors.New("session changed during a receive step")

// sessionRetries bounds how often one envelope is decrypted again after
// losing a race with a send.
const sessionRetries = 8

func (m *Messenger) handleEnvelope(ctx context.Context, e client.Envelope) error {
	err := m.receive(ctx, e.Body)
	// Losing the race with a send is no reason to drop the connection and
	// have the relay redeliver (under a steady stream of sends that meant a
	// reconnect per envelope): try again at once.
	for i := 0; i < sessionRetries && errors.Is(err, errSessionChanged); i++ {
		err = m.receive(ctx, e.Body)
	}
	if errors.Is(err, errDrop) {
		m.cfg.Log.Warn("dropped an envelope", "seq", e.Seq, "reason", err.Error())
		return nil
	}
	if err != nil {
		m.cfg.Log.Warn("envelope will be retried", "seq", e.Seq, "err", err.Error())
	}
	return err
}

// receive processes one envelope body.
func (m *Messenger) receive(ctx context.Context, body []byte) error {
	now := m.cfg.Now()
	opened, err := sealed.Open(m.device, m.relayPub, body, now)
	if err != nil {
		return fmt.Errorf("%w: envelope does not open: %v", errDrop, err)
	}
	switch opened.Type {
	case wire.TypePrekeyMessage:
		return m.receivePrekeyMessage(ctx, opened)
	case wire.TypeRatchetMessage:
		c, ok, err := m.contactByIdentity(ctx, opened.Sender.Sender)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: ratchet message from an unknown sender", errDrop)
		}
		return m.receiveRatchet(ctx, c, opened.Sender.Device, opened.Message)
	}
	return fmt.Errorf("%w: inner message of type %s", errDrop, opened.Type)
}

// receivePrekeyMessage starts (or continues) a session someone initiated.
func (m *Messenger) receivePrekeyMessage(ctx context.Context, opened *sealed.Opened) error {
	pm, err := pqxdh.ParsePrekeyMessage(opened.Message)
	if err != nil {
		return fmt.Errorf("%w: prekey message: %v", errDrop, err)
	}
	c, known, err := m.contactByIdentity(ctx, pm.Sender.Identity)
	if err != nil {
		return err
	}
	device := pm.Sender.Device.String()
	var old []byte
	var oldRec *sessionRecord
	if known {
		// The initiator wraps every message in the same prekey message until
		// it hears back: those repeats belong to the session already made.
		if old, err = m.st.Session(ctx, c.ID, device); err == nil {
			if oldRec, err = parseSessionRecord(old); err == nil && oldRec.knows(pm.BaseKey) {
				return m.receiveRatchet(ctx, c, pm.Sender.Device, pm.Message)
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("load session: %w", err)
		}
	}

	m.mu.Lock()
	sess, acc, err := pqxdh.Accept(m.cfg.Rand, pqxdh.Local{Device: m.device, Certificate: m.cert},
		prekeySource{ctx: ctx, st: m.st}, opened.Message, m.cfg.Now())
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: prekey message does not accept: %v", errDrop, err)
	}
	defer sess.Destroy()
	msg, err := content.Decode(acc.Plaintext)
	clear(acc.Plaintext)
	if err != nil {
		return fmt.Errorf("%w: content: %v", errDrop, err)
	}
	if !known {
		if c, err = m.contactFromClaim(ctx, msg.Sender, acc.Sender.Identity); err != nil {
			return err
		}
	}
	state, err := sess.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	rec := sessionRecord{ratchet: state, baseKey: acc.BaseKey, peer: acc.Sender.Marshal()}
	var consumed []store.PrekeyRef
	for _, p := range acc.Consumed {
		consumed = append(consumed, store.PrekeyRef{Kind: storeKind(p.Type), ID: uint32(p.ID)})
	}
	// The device is listed first so the delivery receipt commit sends can
	// find it; a listed device without a session fails until the retry.
	if err := m.rememberDevice(ctx, c.ID, acc.Sender.Device); err != nil {
		return err
	}
	// Whatever session is stored when this commits (one we started a moment
	// ago included) is kept for decrypting what is still in flight.
	err = m.commit(ctx, c, device, func(old []byte) ([]byte, error) {
		merged := rec
		if old != nil {
			if o, err := parseSessionRecord(old); err == nil {
				merged.replacing(o)
			}
		}
		return merged.marshal(), nil
	}, consumed, msg)
	if err != nil {
		return err
	}
	if len(consumed) > 0 {
		m.maintainPrekeys(ctx)
	}
	return nil
}

// receiveRatchet decrypts a ratchet message with the stored session.
func (m *Messenger) receiveRatchet(ctx context.Context, c store.Contact, d keys.DeviceID, msg []byte) error {
	m.mu.Lock()
	state, err := m.st.Session(ctx, c.ID, d.String())
	if err != nil {
		m.mu.Unlock()
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: no session with that device", errDrop)
		}
		return fmt.Errorf("load session: %w", err)
	}
	rec, err := parseSessionRecord(state)
	if err != nil {
		m.mu.Unlock()
		return fmt.Errorf("%w: stored session: %v", errDrop, err)
	}
	// The current session first, then the ones it replaced.
	var plaintext []byte
	for i := -1; i < len(rec.previous) && plaintext == nil; i++ {
		slot := &rec.ratchet
		if i >= 0 {
			slot = &rec.previous[i].ratchet
		}
		sess, err := ratchet.Unmarshal(*slot)
		if err != nil {
			continue
		}
		pt, err := sess.Decrypt(m.cfg.Rand, msg, m.cfg.Now())
		if err == nil {
			var next []byte
			if next, err = sess.MarshalBinary(); err == nil {
				plaintext, *slot = pt, next
				if i < 0 {
					// A decrypted reply means the peer has our session: stop wrapping.
					rec.initiation = nil
				}
			}
		}
		sess.Destroy()
	}
	m.mu.Unlock()
	if plaintext == nil {
		// A replay (the relay redelivered, or a sender resent) lands here too.
		return fmt.Errorf("%w: ratchet message does not decrypt with any session", errDrop)
	}
	cm, err := content.Decode(plaintext)
	clear(plaintext)
	if err != nil {
		// Authentic but meaningless: keep the ratchet step, store nothing.
		cm = nil
	}
	next := rec.marshal()
	return m.commit(ctx, c, d.String(), func(old []byte) ([]byte, error) {
		if !bytes.Equal(old, state) {
			return nil, errSessionChanged
		}
		return next, nil
	}, nil, cm)
}

// commit stores the new session state together with what the message says,
// in one transaction where a message row is involved. expect, when set, is
// the state the new one was derived from: if another step stored a different
// one meanwhile, this step is abandoned (and the envelope retried).
func (m *Messenger) commit(ctx context.Context, c store.Contact, device string, next func(old []byte) ([]byte, error), consumed []store.PrekeyRef, msg *content.Message) error {
	if msg != nil {
		m.notePeerTreeHead(c.ID, msg.TreeHead)
	}
	cs, err := m.State(ctx, c.ID)
	if err != nil {
		return err
	}
	if cs == StateBlocked {
		msg = nil
	}
	conv, err := m.st.EnsureConversation(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	var row *store.Message
	var file *os.File // a fetched attachment, decrypted into the profile after the commit
	if msg != nil && (msg.Kind == content.KindText || msg.Kind == content.KindAttachment) {
		if row, err = m.incomingRow(ctx, c, conv, msg); err != nil {
			return err
		}
	}
	if msg != nil && msg.Kind == content.KindAttachment {
		if _, err := m.st.MessageByRemoteID(ctx, msg.ID[:]); err != nil {
			// Not stored yet: fetch before committing, so a failed download
			// is retried with the envelope rather than lost.
			if file, err = m.fetchAttachment(ctx, c, conv, msg.Attachment); err != nil {
				return err
			}
			defer func() {
				if file != nil {
					file.Close()
					os.Remove(file.Name())
				}
			}()
		}
	}
	m.mu.Lock()
	id, err := m.st.UpdateSession(ctx, c.ID, device, func(old []byte) (store.SessionUpdate, error) {
		state, err := next(old)
		return store.SessionUpdate{State: state, Message: row, ConsumePrekeys: consumed}, err
	})
	m.mu.Unlock()
	dup := errors.Is(err, store.ErrDuplicate)
	if dup {
		// The same message again (the sender resent it under a new ratchet
		// step): keep the step, not a second copy.
		row = nil
		m.mu.Lock()
		_, err = m.st.UpdateSession(ctx, c.ID, device, func(old []byte) (store.SessionUpdate, error) {
			state, err := next(old)
			return store.SessionUpdate{State: state, ConsumePrekeys: consumed}, err
		})
		m.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("store the received message: %w", err)
	}
	if msg == nil {
		return nil
	}
	if msg.Token != nil {
		if err := m.st.SetSetting(ctx, peerSetting(c.ID, "token"), msg.Token); err != nil {
			return fmt.Errorf("contact token: %w", err)
		}
	}
	switch {
	case dup:
		// The sender may have missed our receipt: send it again.
		rctx, cancel := context.WithTimeout(ctx, receiptTimeout)
		defer cancel()
		if err := m.sendReceipt(rctx, c, msg.ID, content.ReceiptDelivered); err != nil {
			m.cfg.Log.Warn("delivery receipt not sent", "err", err.Error())
		}
		return nil
	case row != nil:
		if file != nil {
			f := file
			file = nil
			if err := m.storeAttachment(ctx, id, msg.Attachment, f); err != nil {
				m.cfg.Log.Warn("received attachment not kept", "err", err.Error())
			}
		}
		m.afterText(ctx, c, cs, conv.ID, id, msg)
		return nil
	}
	return m.applyControl(ctx, c, cs, conv, msg)
}

// incomingRow builds the stored form of a received text message.
func (m *Messenger) incomingRow(ctx context.Context, c store.Contact, conv store.Conversation, msg *content.Message) (*store.Message, error) {
	now := m.cfg.Now()
	row := &store.Message{Conversation: conv.ID, RemoteID: msg.ID[:], Direction: store.Incoming,
		Status: store.StatusDelivered, Sender: c.ID, Body: msg.Text, SentAt: msg.SentAt, ReceivedAt: now,
		File: msg.Kind == content.KindAttachment}
	if !msg.ReplyTo.IsZero() {
		if orig, err := m.st.MessageByRemoteID(ctx, msg.ReplyTo[:]); err == nil && orig.Conversation == conv.ID {
			row.ReplyTo = orig.ID
		}
	}
	if conv.DisappearAfter > 0 {
		row.ExpiresAt = now.Add(conv.DisappearAfter)
	}
	return row, nil
}

// afterText tells the UI and acknowledges delivery to the sender.
func (m *Messenger) afterText(ctx context.Context, c store.Contact, cs ContactState, conv store.ConversationID, id store.MessageID, msg *content.Message) {
	m.cfg.Events.Emit(Event{Kind: EventMessage, Contact: c.ID, Conversation: conv, Message: id})
	if cs == StateRequest {
		m.cfg.Events.Emit(Event{Kind: EventRequest, Contact: c.ID, Conversation: conv})
	}
	rctx, cancel := context.WithTimeout(ctx, receiptTimeout)
	defer cancel()
	if err := m.sendReceipt(rctx, c, msg.ID, content.ReceiptDelivered); err != nil {
		m.cfg.Log.Warn("delivery receipt not sent", "err", err.Error())
	}
}

// applyControl carries out a receipt, reaction, edit, deletion, timer change
// or typing notice from c.
func (m *Messenger) applyControl(ctx context.Context, c store.Contact, cs ContactState, conv store.Conversation, msg *content.Message) error {
	if msg.Kind == content.KindTyping {
		if cs == StateAccepted {
			m.cfg.Events.Emit(Event{Kind: EventTyping, Contact: c.ID, Conversation: conv.ID, Typing: msg.Typing})
		}
		return nil
	}
	if msg.Kind == content.KindCall {
		m.receiveCall(ctx, c, cs, msg)
		return nil
	}
	if msg.Kind == content.KindTimer {
		if err := m.st.SetConversationSettings(ctx, conv.ID, msg.Timer, conv.Muted); err != nil {
			return fmt.Errorf("disappearing timer: %w", err)
		}
		m.cfg.Events.Emit(Event{Kind: EventUpdated, Contact: c.ID, Conversation: conv.ID})
		return nil
	}
	target, err := m.st.MessageByRemoteID(ctx, msg.Target[:])
	if errors.Is(err, store.ErrNotFound) || (err == nil && target.Conversation != conv.ID) {
		return nil // about a message we no longer have (expired, deleted)
	}
	if err != nil {
		return fmt.Errorf("find the message referred to: %w", err)
	}
	switch msg.Kind {
	case content.KindReceipt:
		if target.Direction != store.Outgoing {
			return nil
		}
		next := store.StatusDelivered
		if msg.Receipt == content.ReceiptRead {
			next = store.StatusRead
		}
		if statusRank(next) <= statusRank(target.Status) {
			return nil // receipts only move a message forward
		}
		if next == store.StatusRead {
			return m.markReadUpTo(ctx, c.ID, conv.ID, target)
		}
		return m.setStatus(ctx, c.ID, conv.ID, target.ID, next)
	case content.KindReaction:
		err = m.st.React(ctx, target.ID, c.ID, msg.Emoji)
	case content.KindEdit:
		if target.Direction != store.Incoming || target.Sender != c.ID {
			return nil // only the author edits
		}
		err = m.st.EditMessage(ctx, target.ID, msg.Text)
	case content.KindDelete:
		if target.Direction != store.Incoming || target.Sender != c.ID {
			return nil // only the author deletes for everyone
		}
		err = m.st.DeleteMessage(ctx, target.ID)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("apply %s: %w", msg.Kind, err)
	}
	m.cfg.Events.Emit(Event{Kind: EventUpdated, Contact: c.ID, Conversation: conv.ID, Message: target.ID})
	return nil
}

func statusRank(s store.Status) int {
	switch s {
	case store.StatusPending:
		return 1
	case store.StatusSent:
		return 2
	case store.StatusDelivered:
		return 3
	case store.StatusRead:
		return 4
	}
	return 0
}

// contactByIdentity finds the contact whose identity key is ik.
func (m *Messenger) contactByIdentity(ctx context.Context, ik keys.IdentityPublicKey) (store.Contact, bool, error) {
	all, err := m.st.Contacts(ctx)
	if err != nil {
		return store.Contact{}, false, fmt.Errorf("contacts: %w", err)
	}
	for _, c := range all {
		if k, err := keys.ParseIdentityPublicKey(c.IdentityKey); err == nil && k.Equal(ik) {
			return c, true, nil
		}
	}
	return store.Contact{}, false, nil
}

// contactFromClaim turns a first message's claimed handle into a contact,
// after checking with the relay's directory that the handle belongs to the
// identity that signed the message. A known handle presenting a new key is
// a key change, recorded on the existing contact.
func (m *Messenger) contactFromClaim(ctx context.Context, claimed string, ik keys.IdentityPublicKey) (store.Contact, error) {
	h, err := handle.Parse(claimed)
	if err != nil || h.String() != claimed || h == m.handle {
		return store.Contact{}, fmt.Errorf("%w: sender claims a bad handle", errDrop)
	}
	look, err := m.relay.Lookup(ctx, h)
	if err != nil {
		return store.Contact{}, fmt.Errorf("check the sender's handle: %w", err)
	}
	dirKey, err := keys.ParseIdentityPublicKey(look.IdentityKey)
	if err != nil || !dirKey.Equal(ik) {
		return store.Contact{}, fmt.Errorf("%w: sender's handle belongs to another key", errDrop)
	}
	existing, err := m.st.ContactByHandle(ctx, h.String())
	var known store.ContactID
	if err == nil {
		known = existing.ID
	}
	checked, kerr := m.checkLookup(ctx, known, h, look)
	if kerr != nil {
		return store.Contact{}, fmt.Errorf("%w: %v", errDrop, kerr)
	}
	if err == nil {
		m.recordLookup(ctx, existing.ID, checked)
		changed, err := m.st.SetIdentityKey(ctx, existing.ID, ik.Bytes())
		if err != nil {
			return store.Contact{}, fmt.Errorf("record the new key: %w", err)
		}
		if changed {
			if err := m.noteKeyChange(ctx, existing.ID); err != nil {
				return store.Contact{}, err
			}
		}
		return m.st.Contact(ctx, existing.ID)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Contact{}, fmt.Errorf("find contact: %w", err)
	}
	c, _, err := m.addContact(ctx, h, ik)
	if err == nil {
		m.recordLookup(ctx, c.ID, checked)
	}
	return c, err
}

func (m *Messenger) rememberDevice(ctx context.Context, c store.ContactID, d keys.DeviceID) error {
	ds, err := m.peerDevices(ctx, c)
	if err != nil {
		return err
	}
	for _, x := range ds {
		if x == d {
			return nil
		}
	}
	return m.setPeerDevices(ctx, c, append(ds, d))
}

// prekeySource hands Accept this device's private prekeys from the profile.
type prekeySource struct {
	ctx context.Context
	st  *store.Profile
}

func (s prekeySource) Prekey(t keys.PrekeyType, id keys.PrekeyID) (*keys.PrekeyPrivate, error) {
	b, err := s.st.Prekey(s.ctx, store.PrekeyRef{Kind: storeKind(t), ID: uint32(id)})
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return keys.ParsePrekeyPrivate(b)
}
