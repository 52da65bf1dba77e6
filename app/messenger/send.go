package messenger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/pqxdh"
	"github.com/sotto-im/sotto/crypto/ratchet"
	"github.com/sotto-im/sotto/crypto/sealed"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/store"
)

// FindContact returns the contact for h, looking the handle up at the relay
// (and recording its identity key) when it is not a contact yet. A lookup of a
// known contact whose key has changed records the new key and reports
// ErrKeyChanged if the contact was verified.
func (m *Messenger) FindContact(ctx context.Context, h handle.Handle) (store.Contact, error) {
	if h == m.handle {
		return store.Contact{}, ErrSelf
	}
	c, err := m.st.ContactByHandle(ctx, h.String())
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Contact{}, fmt.Errorf("find contact: %w", err)
	}
	look, err := m.relay.Lookup(ctx, h)
	if err != nil {
		if api.HasCode(err, api.CodeNotFound) {
			return store.Contact{}, ErrUnknownHandle
		}
		return store.Contact{}, fmt.Errorf("look up the handle: %w", err)
	}
	ik, err := keys.ParseIdentityPublicKey(look.IdentityKey)
	if err != nil {
		return store.Contact{}, fmt.Errorf("relay sent a bad identity key: %w", err)
	}
	checked, err := m.checkLookup(ctx, 0, h, look)
	if err != nil {
		return store.Contact{}, err
	}
	c, created, err := m.addContact(ctx, h, ik)
	if err == nil {
		m.recordLookup(ctx, c.ID, checked)
	}
	if err != nil || !created {
		// Not created: the receive path added this contact meanwhile (their
		// first message crossed our lookup) and its session is the one to use.
		return c, err
	}
	if err := m.startSessions(ctx, c.ID, ik, look); err != nil {
		return store.Contact{}, err
	}
	return m.st.Contact(ctx, c.ID)
}

// addContact adds h with identity key ik, or returns the contact that was
// added under that handle a moment ago by the other path (send or receive).
func (m *Messenger) addContact(ctx context.Context, h handle.Handle, ik keys.IdentityPublicKey) (store.Contact, bool, error) {
	id, err := m.st.AddContact(ctx, store.Contact{Handle: h.String(), IdentityKey: ik.Bytes(), Verification: store.Unverified})
	if errors.Is(err, store.ErrDuplicate) {
		c, err := m.st.ContactByHandle(ctx, h.String())
		return c, false, err
	}
	if err != nil {
		return store.Contact{}, false, fmt.Errorf("add contact: %w", err)
	}
	c, err := m.st.Contact(ctx, id)
	return c, true, err
}

// startSessions runs PQXDH with every device in a lookup and stores the new
// sessions, replacing older ones with those devices.
func (m *Messenger) startSessions(ctx context.Context, c store.ContactID, peer keys.IdentityPublicKey, look api.LookupResponse) error {
	now := m.cfg.Now()
	local := pqxdh.Local{Device: m.device, Certificate: m.cert}
	var devices []keys.DeviceID
	for _, d := range look.Devices {
		bundle, err := keys.ParseBundle(d.Bundle)
		if err != nil {
			return fmt.Errorf("relay sent a bad prekey bundle: %w", err)
		}
		if api.AddrFromKey(bundle.Device.SigningKey.Bytes()) != d.Device {
			return fmt.Errorf("relay sent a bundle for another device address")
		}
		m.mu.Lock()
		sess, init, err := pqxdh.Initiate(m.cfg.Rand, local, peer, bundle, now)
		if err != nil {
			m.mu.Unlock()
			return fmt.Errorf("start a session: %w", err)
		}
		state, err := sess.MarshalBinary()
		sess.Destroy()
		if err != nil {
			m.mu.Unlock()
			return fmt.Errorf("encode session: %w", err)
		}
		initBytes, err := init.MarshalBinary()
		if err != nil {
			m.mu.Unlock()
			return fmt.Errorf("encode session: %w", err)
		}
		rec := sessionRecord{ratchet: state, initiation: initBytes, peer: bundle.Device.Marshal()}
		// A session the other side started meanwhile is kept for decrypting.
		_, err = m.st.UpdateSession(ctx, c, bundle.Device.Device.String(), func(old []byte) (store.SessionUpdate, error) {
			if old != nil {
				if o, err := parseSessionRecord(old); err == nil {
					rec.replacing(o)
				}
			}
			return store.SessionUpdate{State: rec.marshal()}, nil
		})
		clear(state)
		m.mu.Unlock()
		if err != nil {
			return fmt.Errorf("save session: %w", err)
		}
		devices = append(devices, bundle.Device.Device)
	}
	if len(devices) == 0 {
		return fmt.Errorf("the relay lists no devices for this handle")
	}
	return m.setPeerDevices(ctx, c, devices)
}

// newContent starts a content message from this account.
func (m *Messenger) newContent(kind content.Kind) (*content.Message, error) {
	msg := &content.Message{Kind: kind, SentAt: m.cfg.Now(), Sender: m.handle.String(), Token: m.token,
		TreeHead: m.latestTreeHead(context.Background())}
	if _, err := io.ReadFull(m.cfg.Rand, msg.ID[:]); err != nil {
		return nil, fmt.Errorf("message id: %w", err)
	}
	return msg, nil
}

// deliver encrypts plaintext for every device of the contact and hands each
// sealed envelope to the relay, which stores it durably before it answers.
func (m *Messenger) deliver(ctx context.Context, c store.Contact, msg *content.Message) error {
	plaintext, err := content.Encode(msg)
	if err != nil {
		return err
	}
	defer clear(plaintext)
	devices, err := m.peerDevices(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(devices) == 0 {
		return fmt.Errorf("no session with this contact")
	}
	cert, err := m.senderCertificate(ctx)
	if err != nil {
		return err
	}
	token, err := m.peerToken(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("contact token: %w", err)
	}
	for _, d := range devices {
		env, addr, err := m.encryptFor(ctx, c.ID, d, cert, plaintext)
		// The receive path adds a contact (their first message) a moment
		// before it stores the session that message set up: wait for it.
		for wait := 0; errors.Is(err, errNoSession) && wait < sessionWaits; wait++ {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(sessionWait):
			}
			env, addr, err = m.encryptFor(ctx, c.ID, d, cert, plaintext)
		}
		if err != nil {
			return err
		}
		if token != nil {
			_, err = m.relay.SendSealed(ctx, addr, token, env)
		} else {
			_, err = m.relay.SendFirstContact(ctx, addr, env)
		}
		if err != nil {
			return fmt.Errorf("send to the relay: %w", err)
		}
	}
	return nil
}

// errNoSession: no session with that device is stored (yet).
var errNoSession = errors.New("no session with this device")

// How long deliver waits for a session the receive path is storing.
const (
	sessionWait  = 50 * time.Millisecond
	sessionWaits = 40
)

// encryptFor takes one ratchet step for (contact, device), commits it, and
// seals the result to that device.
func (m *Messenger) encryptFor(ctx context.Context, c store.ContactID, d keys.DeviceID, cert keys.SenderCertificate, plaintext []byte) ([]byte, api.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var inner []byte
	var peer keys.DeviceCertificate
	_, err := m.st.UpdateSession(ctx, c, d.String(), func(state []byte) (store.SessionUpdate, error) {
		if state == nil {
			return store.SessionUpdate{}, errNoSession
		}
		rec, err := parseSessionRecord(state)
		if err != nil {
			return store.SessionUpdate{}, err
		}
		if peer, err = keys.ParseDeviceCertificate(rec.peer); err != nil {
			return store.SessionUpdate{}, fmt.Errorf("stored device certificate: %w", err)
		}
		sess, err := ratchet.Unmarshal(rec.ratchet)
		if err != nil {
			return store.SessionUpdate{}, fmt.Errorf("stored session: %w", err)
		}
		defer sess.Destroy()
		if !sess.CanSend() {
			return store.SessionUpdate{}, fmt.Errorf("session cannot send yet")
		}
		if inner, err = sess.Encrypt(m.cfg.Rand, plaintext); err != nil {
			return store.SessionUpdate{}, fmt.Errorf("encrypt: %w", err)
		}
		if rec.initiation != nil {
			init, err := pqxdh.UnmarshalInitiation(rec.initiation)
			if err != nil {
				return store.SessionUpdate{}, fmt.Errorf("stored initiation: %w", err)
			}
			inner = init.Wrap(inner)
		}
		if rec.ratchet, err = sess.MarshalBinary(); err != nil {
			return store.SessionUpdate{}, fmt.Errorf("encode session: %w", err)
		}
		return store.SessionUpdate{State: rec.marshal()}, nil
	})
	if err != nil {
		return nil, api.Addr{}, fmt.Errorf("encrypt for a device: %w", err)
	}
	env, err := sealed.Seal(peer.SealingKey, cert, inner)
	if err != nil {
		return nil, api.Addr{}, fmt.Errorf("seal: %w", err)
	}
	return env, api.AddrFromKey(peer.SigningKey.Bytes()), nil
}

// sendable returns the contact and checks that messages may go to it.
func (m *Messenger) sendable(ctx context.Context, h handle.Handle) (store.Contact, error) {
	c, err := m.FindContact(ctx, h)
	if err != nil {
		return store.Contact{}, err
	}
	if c.Verification == store.KeyChanged {
		return store.Contact{}, ErrKeyChanged
	}
	state, err := m.State(ctx, c.ID)
	if err != nil {
		return store.Contact{}, err
	}
	if state == StateBlocked {
		return store.Contact{}, ErrBlocked
	}
	return c, nil
}

// startMessage opens the conversation with h for a new message of kind:
// the contact may receive (not blocked, no unverified key change), writing
// to them accepts their conversation, and the content gets a fresh id.
func (m *Messenger) startMessage(ctx context.Context, h handle.Handle, kind content.Kind) (store.Contact, store.Conversation, *content.Message, error) {
	c, err := m.sendable(ctx, h)
	if err != nil {
		return store.Contact{}, store.Conversation{}, nil, err
	}
	if err := m.SetState(ctx, c.ID, StateAccepted); err != nil {
		return store.Contact{}, store.Conversation{}, nil, err
	}
	conv, err := m.st.EnsureConversation(ctx, c.ID)
	if err != nil {
		return store.Contact{}, store.Conversation{}, nil, fmt.Errorf("conversation: %w", err)
	}
	msg, err := m.newContent(kind)
	if err != nil {
		return store.Contact{}, store.Conversation{}, nil, err
	}
	return c, conv, msg, nil
}

// SendText sends text to h (replying to replyTo when it is not 0) and returns
// the stored message. Writing to someone accepts their conversation. The
// message is stored first as pending; if the relay cannot be reached it stays
// pending and the error says why.
func (m *Messenger) SendText(ctx context.Context, h handle.Handle, text string, replyTo store.MessageID) (store.Message, error) {
	c, conv, msg, err := m.startMessage(ctx, h, content.KindText)
	if err != nil {
		return store.Message{}, err
	}
	msg.Text = text
	if replyTo != 0 {
		orig, err := m.st.Message(ctx, replyTo)
		if err != nil || orig.Conversation != conv.ID {
			return store.Message{}, ErrNoSuchMessage
		}
		copy(msg.ReplyTo[:], orig.RemoteID)
	}
	if err := msg.Validate(); err != nil {
		return store.Message{}, err
	}
	row := store.Message{Conversation: conv.ID, RemoteID: msg.ID[:], Direction: store.Outgoing,
		Status: store.StatusPending, Body: text, ReplyTo: replyTo, SentAt: msg.SentAt}
	if conv.DisappearAfter > 0 {
		row.ExpiresAt = msg.SentAt.Add(conv.DisappearAfter)
	}
	if row.ID, err = m.st.InsertMessage(ctx, row); err != nil {
		return store.Message{}, fmt.Errorf("store message: %w", err)
	}
	m.cfg.Events.Emit(Event{Kind: EventMessage, Contact: c.ID, Conversation: conv.ID, Message: row.ID})
	if err := m.deliver(ctx, c, msg); err != nil {
		m.kickOutbox()
		return row, err
	}
	if err := m.setStatus(ctx, c.ID, conv.ID, row.ID, store.StatusSent); err != nil {
		return row, err
	}
	row.Status = store.StatusSent
	return row, nil
}

func (m *Messenger) setStatus(ctx context.Context, c store.ContactID, conv store.ConversationID, id store.MessageID, s store.Status) error {
	if err := m.st.SetStatus(ctx, id, s); err != nil {
		return fmt.Errorf("message status: %w", err)
	}
	m.cfg.Events.Emit(Event{Kind: EventStatus, Contact: c, Conversation: conv, Message: id, Status: s.String()})
	return nil
}
