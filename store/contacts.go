package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Contact is someone the profile talks to.
type Contact struct {
	ID          ContactID
	Handle      string
	DisplayName string
	// IdentityKey is the contact's public identity key as last seen.
	IdentityKey  []byte
	Verification Verification
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

type contactProfile struct {
	DisplayName string `json:"n,omitempty"`
}

type contactVerification struct {
	State Verification `json:"v"`
}

// AddContact stores a new contact; a handle already present is ErrDuplicate.
func (p *Profile) AddContact(ctx context.Context, c Contact) (ContactID, error) {
	if c.Handle == "" {
		return 0, errors.New("store: add contact: empty handle")
	}
	if c.Verification == VerificationUnknown {
		c.Verification = Unverified
	}
	var id int64
	err := p.write(ctx, "store: add contact", func(tx *wtx, _ *afterCommit) error {
		mac := p.keys.mac(macHandle, []byte(c.Handle))
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM contacts WHERE handle_mac = ?`, mac).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrDuplicate
		}
		var err error
		if id, err = nextID(ctx, tx, "contacts"); err != nil {
			return err
		}
		prof, _ := json.Marshal(contactProfile{DisplayName: c.DisplayName})
		ver, _ := json.Marshal(contactVerification{State: c.Verification})
		now := toMS(p.now())
		_, err = tx.ExecContext(ctx, `INSERT INTO contacts(id, handle_mac, handle, profile, identity_key, verification, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, mac,
			p.keys.seal("contacts", "handle", id, []byte(c.Handle)),
			p.keys.seal("contacts", "profile", id, prof),
			p.keys.seal("contacts", "identity_key", id, c.IdentityKey),
			p.keys.seal("contacts", "verification", id, ver), now, now)
		return err
	})
	return ContactID(id), err
}

const contactColumns = `id, handle, profile, identity_key, verification, created_at, updated_at`

func (p *Profile) scanContact(r rowScanner) (Contact, error) {
	var id, created, updated int64
	var h, prof, ik, ver []byte
	if err := r.Scan(&id, &h, &prof, &ik, &ver, &created, &updated); err != nil {
		return Contact{}, err
	}
	c := Contact{ID: ContactID(id), CreatedAt: fromMS(created), UpdatedAt: fromMS(updated)}
	pt, err := p.keys.open("contacts", "handle", id, h)
	if err != nil {
		return Contact{}, err
	}
	c.Handle = string(pt)
	if pt, err = p.keys.open("contacts", "profile", id, prof); err != nil {
		return Contact{}, err
	}
	var cp contactProfile
	if err := json.Unmarshal(pt, &cp); err != nil {
		return Contact{}, fmt.Errorf("%w: contacts.profile row %d: %v", ErrTampered, id, err)
	}
	c.DisplayName = cp.DisplayName
	if c.IdentityKey, err = p.keys.open("contacts", "identity_key", id, ik); err != nil {
		return Contact{}, err
	}
	if pt, err = p.keys.open("contacts", "verification", id, ver); err != nil {
		return Contact{}, err
	}
	var cv contactVerification
	if err := json.Unmarshal(pt, &cv); err != nil {
		return Contact{}, fmt.Errorf("%w: contacts.verification row %d: %v", ErrTampered, id, err)
	}
	c.Verification = cv.State
	return c, nil
}

// Contact returns one contact.
func (p *Profile) Contact(ctx context.Context, id ContactID) (Contact, error) {
	return p.contactWhere(ctx, p.stmts, `id = ?`, int64(id))
}

// ContactByHandle finds a contact by its exact handle.
func (p *Profile) ContactByHandle(ctx context.Context, handle string) (Contact, error) {
	return p.contactWhere(ctx, p.stmts, `handle_mac = ?`, p.keys.mac(macHandle, []byte(handle)))
}

func (p *Profile) contactWhere(ctx context.Context, q queryer, where string, arg any) (Contact, error) {
	if err := p.check(); err != nil {
		return Contact{}, err
	}
	c, err := p.scanContact(q.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Contact{}, fmt.Errorf("contact: %w", ErrNotFound)
	}
	if err != nil {
		return Contact{}, fmt.Errorf("store: contact: %w", err)
	}
	return c, nil
}

// Contacts lists every contact, sorted by handle.
func (p *Profile) Contacts(ctx context.Context) ([]Contact, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	rows, err := p.stmts.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts`)
	if err != nil {
		return nil, fmt.Errorf("store: contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		c, err := p.scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("store: contacts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Handle < out[j].Handle })
	return out, nil
}

// SetDisplayName changes a contact's display name.
func (p *Profile) SetDisplayName(ctx context.Context, id ContactID, name string) error {
	prof, _ := json.Marshal(contactProfile{DisplayName: name})
	return p.updateContactColumn(ctx, id, "profile", prof)
}

// SetVerification records the user's verification decision.
func (p *Profile) SetVerification(ctx context.Context, id ContactID, v Verification) error {
	ver, _ := json.Marshal(contactVerification{State: v})
	return p.updateContactColumn(ctx, id, "verification", ver)
}

// SetIdentityKey records the key a contact now presents. If it differs from
// the stored one and the contact was Verified, the contact becomes
// KeyChanged (the caller must block sending until re-verification). It
// reports whether the key changed.
func (p *Profile) SetIdentityKey(ctx context.Context, id ContactID, key []byte) (bool, error) {
	changed := false
	err := p.write(ctx, "store: set identity key", func(tx *wtx, _ *afterCommit) error {
		c, err := p.scanContact(tx.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = ?`, int64(id)))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("contact %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if bytes.Equal(c.IdentityKey, key) {
			return nil
		}
		changed = true
		state := c.Verification
		if state == Verified {
			state = KeyChanged
		}
		ver, _ := json.Marshal(contactVerification{State: state})
		_, err = tx.ExecContext(ctx, `UPDATE contacts SET identity_key = ?, verification = ?, updated_at = ? WHERE id = ?`,
			p.keys.seal("contacts", "identity_key", int64(id), key), p.keys.seal("contacts", "verification", int64(id), ver),
			toMS(p.now()), int64(id))
		return err
	})
	return changed, err
}

func (p *Profile) updateContactColumn(ctx context.Context, id ContactID, column string, pt []byte) error {
	return p.write(ctx, "store: update contact", func(tx *wtx, _ *afterCommit) error {
		res, err := tx.ExecContext(ctx, `UPDATE contacts SET `+column+` = ?, updated_at = ? WHERE id = ?`,
			p.keys.seal("contacts", column, int64(id), pt), toMS(p.now()), int64(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("contact %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// Conversation is a one-to-one chat with a contact.
type Conversation struct {
	ID           ConversationID
	Contact      ContactID
	CreatedAt    time.Time
	LastActivity time.Time
	// DisappearAfter is the conversation's disappearing-messages timer
	// (0: off). The caller applies it when it sets a message's ExpiresAt.
	DisappearAfter time.Duration
	Muted          bool
}

type conversationSettings struct {
	DisappearAfterMS int64 `json:"d,omitempty"`
	Muted            bool  `json:"m,omitempty"`
}

const conversationColumns = `id, contact_id, created_at, last_activity_at, settings`

func (p *Profile) scanConversation(r rowScanner) (Conversation, error) {
	var id, contact, created, last int64
	var ct []byte
	if err := r.Scan(&id, &contact, &created, &last, &ct); err != nil {
		return Conversation{}, err
	}
	pt, err := p.keys.open("conversations", "settings", id, ct)
	if err != nil {
		return Conversation{}, err
	}
	var s conversationSettings
	if err := json.Unmarshal(pt, &s); err != nil {
		return Conversation{}, fmt.Errorf("%w: conversations.settings row %d: %v", ErrTampered, id, err)
	}
	return Conversation{ID: ConversationID(id), Contact: ContactID(contact), CreatedAt: fromMS(created),
		LastActivity: fromMS(last), DisappearAfter: time.Duration(s.DisappearAfterMS) * time.Millisecond, Muted: s.Muted}, nil
}

// EnsureConversation returns the conversation with contact, creating it.
func (p *Profile) EnsureConversation(ctx context.Context, contact ContactID) (Conversation, error) {
	var c Conversation
	err := p.write(ctx, "store: ensure conversation", func(tx *wtx, _ *afterCommit) error {
		var err error
		c, err = p.scanConversation(tx.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE contact_id = ?`, int64(contact)))
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id, err := nextID(ctx, tx, "conversations")
		if err != nil {
			return err
		}
		now := p.now()
		s, _ := json.Marshal(conversationSettings{})
		if _, err := tx.ExecContext(ctx, `INSERT INTO conversations(id, contact_id, created_at, last_activity_at, settings) VALUES (?, ?, ?, ?, ?)`,
			id, int64(contact), toMS(now), toMS(now), p.keys.seal("conversations", "settings", id, s)); err != nil {
			return err
		}
		c = Conversation{ID: ConversationID(id), Contact: contact, CreatedAt: fromMS(toMS(now)), LastActivity: fromMS(toMS(now))}
		return nil
	})
	return c, err
}

// Conversation returns one conversation.
func (p *Profile) Conversation(ctx context.Context, id ConversationID) (Conversation, error) {
	if err := p.check(); err != nil {
		return Conversation{}, err
	}
	c, err := p.scanConversation(p.stmts.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = ?`, int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("store: conversation: %w", err)
	}
	return c, nil
}

// Conversations lists conversations, most recently active first.
func (p *Profile) Conversations(ctx context.Context) ([]Conversation, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	rows, err := p.stmts.QueryContext(ctx, `SELECT `+conversationColumns+` FROM conversations ORDER BY last_activity_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := p.scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetConversationSettings sets the disappearing-messages timer and mute flag.
func (p *Profile) SetConversationSettings(ctx context.Context, id ConversationID, disappearAfter time.Duration, muted bool) error {
	s, _ := json.Marshal(conversationSettings{DisappearAfterMS: disappearAfter.Milliseconds(), Muted: muted})
	return p.write(ctx, "store: conversation settings", func(tx *wtx, _ *afterCommit) error {
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET settings = ? WHERE id = ?`,
			p.keys.seal("conversations", "settings", int64(id), s), int64(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("conversation %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// DeleteConversation removes a conversation and all its messages, index
// entries and attachment files.
func (p *Profile) DeleteConversation(ctx context.Context, id ConversationID) error {
	return p.write(ctx, "store: delete conversation", func(tx *wtx, ac *afterCommit) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM messages WHERE conversation_id = ?`, int64(id))
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var m int64
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range ids {
			if _, err := p.deleteMessage(ctx, tx, MessageID(m), ac); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, int64(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("conversation %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

func idBytes(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }
