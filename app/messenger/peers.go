package messenger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/store"
)

// What the account keeps about a contact beyond the store's contact row: the
// devices it has sessions with, the delivery token that lets it send sealed
// envelopes to them, and whether the conversation was accepted. They live in
// the profile's encrypted settings, one entry per contact and fact.

// ContactState is whether a contact's conversation was accepted.
type ContactState uint8

const (
	// StateRequest: they wrote first and the user has not accepted yet; no
	// read receipts or typing indicators go to them.
	StateRequest ContactState = iota
	// StateAccepted: the user wrote to them or accepted their request.
	StateAccepted
	// StateBlocked: nothing from them is stored or shown.
	StateBlocked
)

func (s ContactState) String() string {
	switch s {
	case StateRequest:
		return "request"
	case StateAccepted:
		return "accepted"
	case StateBlocked:
		return "blocked"
	}
	return "unknown"
}

func peerSetting(c store.ContactID, fact string) string {
	return fmt.Sprintf("peer.%d.%s", c, fact)
}

func (m *Messenger) peerDevices(ctx context.Context, c store.ContactID) ([]keys.DeviceID, error) {
	b, err := m.st.Setting(ctx, peerSetting(c, "devices"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("contact devices: %w", err)
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("contact devices: %w", errBadRecord)
	}
	var out []keys.DeviceID
	for i := 0; i < len(b); i += 4 {
		out = append(out, keys.DeviceID(binary.BigEndian.Uint32(b[i:])))
	}
	return out, nil
}

func (m *Messenger) setPeerDevices(ctx context.Context, c store.ContactID, ds []keys.DeviceID) error {
	var b []byte
	for _, d := range ds {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return m.st.SetSetting(ctx, peerSetting(c, "devices"), b)
}

func (m *Messenger) peerToken(ctx context.Context, c store.ContactID) ([]byte, error) {
	b, err := m.st.Setting(ctx, peerSetting(c, "token"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return b, err
}

// State is whether the contact's conversation was accepted, is a request, or
// is blocked.
func (m *Messenger) State(ctx context.Context, c store.ContactID) (ContactState, error) {
	b, err := m.st.Setting(ctx, peerSetting(c, "state"))
	if errors.Is(err, store.ErrNotFound) {
		return StateRequest, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 1 || b[0] > byte(StateBlocked) {
		return 0, fmt.Errorf("contact state: %w", errBadRecord)
	}
	return ContactState(b[0]), nil
}

// SetState accepts, blocks or unblocks a contact.
func (m *Messenger) SetState(ctx context.Context, c store.ContactID, s ContactState) error {
	if s > StateBlocked {
		return fmt.Errorf("contact state %d", s)
	}
	return m.st.SetSetting(ctx, peerSetting(c, "state"), []byte{byte(s)})
}

// noteKeyChange records when a contact's identity key changed (the UI keeps
// its banner until the user reviews it) and tells the UI.
func (m *Messenger) noteKeyChange(ctx context.Context, c store.ContactID) error {
	at := m.cfg.Now().UnixMilli()
	if err := m.st.SetSetting(ctx, peerSetting(c, "key_changed_at"), binary.BigEndian.AppendUint64(nil, uint64(at))); err != nil {
		return fmt.Errorf("record the key change: %w", err)
	}
	conv, err := m.st.EnsureConversation(ctx, c)
	if err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	m.cfg.Events.Emit(Event{Kind: EventKeyChanged, Contact: c, Conversation: conv.ID})
	return nil
}

// KeyChangedAt is when the contact's safety number last changed, if the user
// has not reviewed that change yet (zero otherwise).
func (m *Messenger) KeyChangedAt(ctx context.Context, c store.ContactID) (time.Time, error) {
	b, err := m.st.Setting(ctx, peerSetting(c, "key_changed_at"))
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if len(b) != 8 {
		return time.Time{}, fmt.Errorf("key change time: %w", errBadRecord)
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b))), nil
}

// DismissKeyChange records that the user reviewed the change.
func (m *Messenger) DismissKeyChange(ctx context.Context, c store.ContactID) error {
	err := m.st.DeleteSetting(ctx, peerSetting(c, "key_changed_at"))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
