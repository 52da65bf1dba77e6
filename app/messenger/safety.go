package messenger

import (
	"context"
	"errors"
	"fmt"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/safety"
	"github.com/sotto-im/sotto/store"
)

// ErrSafetyMismatch: the number given does not match the safety number.
var ErrSafetyMismatch = errors.New("messenger: safety numbers do not match")

// SafetyNumber is the safety number between this account and the contact's
// current identity key.
func (m *Messenger) SafetyNumber(ctx context.Context, c store.ContactID) (safety.Number, error) {
	contact, err := m.st.Contact(ctx, c)
	if err != nil {
		return safety.Number{}, fmt.Errorf("contact: %w", err)
	}
	ik, err := keys.ParseIdentityPublicKey(contact.IdentityKey)
	if err != nil {
		return safety.Number{}, fmt.Errorf("contact's identity key: %w", err)
	}
	return safety.Compute(m.identity.Public(), m.handle.String(), ik, contact.Handle), nil
}

// Verify marks the contact verified if digits (spaces allowed) match the
// safety number; it is how a key change is cleared, too.
func (m *Messenger) Verify(ctx context.Context, c store.ContactID, digits string) error {
	n, err := m.SafetyNumber(ctx, c)
	if err != nil {
		return err
	}
	if !n.MatchesDigits(digits) {
		return ErrSafetyMismatch
	}
	return m.MarkVerified(ctx, c)
}

// VerifyQR marks the contact verified if a scanned QR payload matches.
func (m *Messenger) VerifyQR(ctx context.Context, c store.ContactID, scanned []byte) error {
	n, err := m.SafetyNumber(ctx, c)
	if err != nil {
		return err
	}
	if err := n.CompareQR(scanned); err != nil {
		return fmt.Errorf("%w: %v", ErrSafetyMismatch, err)
	}
	return m.MarkVerified(ctx, c)
}

// MarkVerified records that the user compared the safety number by other
// means (in person, on a call).
func (m *Messenger) MarkVerified(ctx context.Context, c store.ContactID) error {
	if err := m.st.SetVerification(ctx, c, store.Verified); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if err := m.DismissKeyChange(ctx, c); err != nil {
		return err
	}
	m.cfg.Events.Emit(Event{Kind: EventUpdated, Contact: c})
	return nil
}

// Unverify clears a contact's verification.
func (m *Messenger) Unverify(ctx context.Context, c store.ContactID) error {
	if err := m.st.SetVerification(ctx, c, store.Unverified); err != nil {
		return fmt.Errorf("unverify: %w", err)
	}
	m.cfg.Events.Emit(Event{Kind: EventUpdated, Contact: c})
	return nil
}
