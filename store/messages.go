package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Message is one message of a conversation.
type Message struct {
	ID           MessageID
	Conversation ConversationID
	// RemoteID is the protocol's id of the message; when set, a second
	// message with the same RemoteID is refused with ErrDuplicate.
	RemoteID  []byte
	Direction Direction
	Status    Status
	// Sender is the contact who sent an incoming message (0 for outgoing).
	Sender ContactID
	Body   string
	// ReplyTo is the message this one answers (0: none). It becomes 0 when
	// that message is deleted.
	ReplyTo MessageID
	// SentAt orders the conversation and ranks search results; zero means now.
	SentAt     time.Time
	ReceivedAt time.Time
	EditedAt   time.Time
	// ExpiresAt, when set, is when the message disappears.
	ExpiresAt time.Time
	Reactions []Reaction
	// Call, when set, makes the message a call log entry in the
	// conversation (Body is empty); Direction says who called.
	Call *CallEntry
	// File: the message carries a file (its attachments rows; Body is the
	// caption). Set when the row is made, before the file is stored, so a
	// file message whose copy never completed is still told from text.
	File bool
}

// CallEntry is what a call log entry in a conversation records.
type CallEntry struct {
	Video   bool        `json:"v,omitempty"`
	Outcome CallOutcome `json:"o"`
	// Seconds is how long the call was connected.
	Seconds int64 `json:"s,omitempty"`
}

// Reaction is one person's reaction to a message.
type Reaction struct {
	// Sender is the contact who reacted; 0 is the profile's owner.
	Sender ContactID
	Emoji  string
	At     time.Time
}

// messageMeta is the encrypted messages.meta column.
type messageMeta struct {
	Direction Direction  `json:"d"`
	Status    Status     `json:"s"`
	Sender    ContactID  `json:"f,omitempty"`
	RemoteID  []byte     `json:"r,omitempty"`
	Call      *CallEntry `json:"c,omitempty"`
	File      bool       `json:"a,omitempty"`
}

const messageColumns = `id, conversation_id, reply_to, sent_at, received_at, edited_at, expires_at, meta, body`

// insertMessage writes m in tx and indexes its body.
func (p *Profile) insertMessage(ctx context.Context, tx *wtx, m *Message, ac *afterCommit) (MessageID, error) {
	if m.Conversation == 0 {
		return 0, errors.New("message has no conversation")
	}
	if m.SentAt.IsZero() {
		m.SentAt = p.now()
	}
	var remoteMAC any
	if len(m.RemoteID) > 0 {
		mac := p.keys.mac(macRemoteID, m.RemoteID)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE remote_mac = ?`, mac).Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, ErrDuplicate
		}
		remoteMAC = mac
	}
	id, err := nextID(ctx, tx, "messages")
	if err != nil {
		return 0, err
	}
	meta, err := json.Marshal(messageMeta{Direction: m.Direction, Status: m.Status, Sender: m.Sender, RemoteID: m.RemoteID, Call: m.Call, File: m.File})
	if err != nil {
		return 0, err
	}
	var replyTo any
	if m.ReplyTo != 0 {
		replyTo = int64(m.ReplyTo)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO messages(id, conversation_id, reply_to, remote_mac, sent_at, received_at, edited_at, expires_at, meta, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, int64(m.Conversation), replyTo, remoteMAC, toMS(m.SentAt), nullMS(m.ReceivedAt), nullMS(m.EditedAt), nullMS(m.ExpiresAt),
		p.keys.seal("messages", "meta", id, meta), p.keys.seal("messages", "body", id, []byte(m.Body)))
	if err != nil {
		return 0, fmt.Errorf("insert message: %w", err)
	}
	if err := insertTokens(ctx, tx, searchTokens(p.keys, m.Body), id, int64(m.Conversation), toMS(m.SentAt)); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET last_activity_at = max(last_activity_at, ?) WHERE id = ?`,
		toMS(m.SentAt), int64(m.Conversation)); err != nil {
		return 0, err
	}
	for _, r := range m.Reactions {
		if err := p.setReaction(ctx, tx, MessageID(id), r); err != nil {
			return 0, err
		}
	}
	if !m.ExpiresAt.IsZero() {
		ac.wake = true
	}
	m.ID = MessageID(id)
	return m.ID, nil
}

// InsertMessage stores m (its ID is ignored) and returns the new id.
func (p *Profile) InsertMessage(ctx context.Context, m Message) (MessageID, error) {
	var id MessageID
	err := p.write(ctx, "store: insert message", func(tx *wtx, ac *afterCommit) error {
		var err error
		id, err = p.insertMessage(ctx, tx, &m, ac)
		return err
	})
	return id, err
}

// InsertMessages stores ms in one transaction: all or none.
func (p *Profile) InsertMessages(ctx context.Context, ms []Message) ([]MessageID, error) {
	ids := make([]MessageID, 0, len(ms))
	err := p.write(ctx, "store: insert messages", func(tx *wtx, ac *afterCommit) error {
		for i := range ms {
			m := ms[i]
			id, err := p.insertMessage(ctx, tx, &m, ac)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

type rowScanner interface{ Scan(dest ...any) error }

// scanMessage decrypts one row selected with messageColumns.
func (p *Profile) scanMessage(r rowScanner) (Message, error) {
	var (
		m                              Message
		id, conv, sent                 int64
		replyTo, recv, edited, expires sql.NullInt64
		metaCT, bodyCT                 []byte
	)
	if err := r.Scan(&id, &conv, &replyTo, &sent, &recv, &edited, &expires, &metaCT, &bodyCT); err != nil {
		return m, err
	}
	metaPT, err := p.keys.open("messages", "meta", id, metaCT)
	if err != nil {
		return m, err
	}
	var meta messageMeta
	if err := json.Unmarshal(metaPT, &meta); err != nil {
		return m, fmt.Errorf("%w: messages.meta row %d: %v", ErrTampered, id, err)
	}
	body, err := p.keys.open("messages", "body", id, bodyCT)
	if err != nil {
		return m, err
	}
	m = Message{
		ID: MessageID(id), Conversation: ConversationID(conv), RemoteID: meta.RemoteID,
		Direction: meta.Direction, Status: meta.Status, Sender: meta.Sender, Body: string(body),
		ReplyTo: MessageID(replyTo.Int64), SentAt: fromMS(sent), ReceivedAt: fromNullMS(recv),
		EditedAt: fromNullMS(edited), ExpiresAt: fromNullMS(expires), Call: meta.Call, File: meta.File,
	}
	return m, nil
}

func (p *Profile) expired(m *Message) bool {
	return !m.ExpiresAt.IsZero() && !m.ExpiresAt.After(p.now())
}

// Message returns one message with its reactions. An expired message is
// ErrNotFound even before the purge has removed it.
func (p *Profile) Message(ctx context.Context, id MessageID) (Message, error) {
	if err := p.check(); err != nil {
		return Message{}, err
	}
	m, err := p.scanMessage(p.stmts.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = ?`, int64(id)))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && p.expired(&m)) {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("store: message %d: %w", id, err)
	}
	if m.Reactions, err = p.reactions(ctx, p.stmts, id); err != nil {
		return Message{}, err
	}
	return m, nil
}

// Messages returns up to limit messages of a conversation, newest first,
// older than the message before (0: start from the newest).
func (p *Profile) Messages(ctx context.Context, conv ConversationID, before MessageID, limit int) ([]Message, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	now := p.now().UnixMilli()
	var rows *sql.Rows
	var err error
	if before == 0 {
		rows, err = p.stmts.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages
			WHERE conversation_id = ? AND (expires_at IS NULL OR expires_at > ?)
			ORDER BY sent_at DESC, id DESC LIMIT ?`, int64(conv), now, limit)
	} else {
		rows, err = p.stmts.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages
			WHERE conversation_id = ?1 AND (expires_at IS NULL OR expires_at > ?2)
			AND (sent_at, id) < (SELECT sent_at, id FROM messages WHERE id = ?3)
			ORDER BY sent_at DESC, id DESC LIMIT ?4`, int64(conv), now, int64(before), limit)
	}
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	var out []Message
	for rows.Next() {
		m, err := p.scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: messages: %w", err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	for i := range out {
		if out[i].Reactions, err = p.reactions(ctx, p.stmts, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EditMessage replaces a message's body; the search index follows.
func (p *Profile) EditMessage(ctx context.Context, id MessageID, body string) error {
	return p.write(ctx, "store: edit message", func(tx *wtx, ac *afterCommit) error {
		ac.checkpoint = true // the old body must not linger in the WAL
		m, err := p.scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = ?`, int64(id)))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("message %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := deleteTokens(ctx, tx, searchTokens(p.keys, m.Body), int64(id), toMS(m.SentAt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = ?, edited_at = ? WHERE id = ?`,
			p.keys.seal("messages", "body", int64(id), []byte(body)), toMS(p.now()), int64(id)); err != nil {
			return err
		}
		return insertTokens(ctx, tx, searchTokens(p.keys, body), int64(id), int64(m.Conversation), toMS(m.SentAt))
	})
}

// SetStatus records a message's delivery status.
func (p *Profile) SetStatus(ctx context.Context, id MessageID, s Status) error {
	return p.write(ctx, "store: set status", func(tx *wtx, _ *afterCommit) error {
		return updateSealedJSON(ctx, p, tx, "messages", "meta", int64(id), func(meta *messageMeta) { meta.Status = s })
	})
}

// SetExpiry sets (or, with the zero time, clears) when a message disappears,
// e.g. when a disappearing message is first read.
func (p *Profile) SetExpiry(ctx context.Context, id MessageID, at time.Time) error {
	return p.write(ctx, "store: set expiry", func(tx *wtx, ac *afterCommit) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET expires_at = ? WHERE id = ?`, nullMS(at), int64(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("message %d: %w", id, ErrNotFound)
		}
		ac.wake = true
		return nil
	})
}

// DeleteMessage removes a message, its reactions, its index entries and its
// attachments (rows and files).
func (p *Profile) DeleteMessage(ctx context.Context, id MessageID) error {
	return p.write(ctx, "store: delete message", func(tx *wtx, ac *afterCommit) error {
		found, err := p.deleteMessage(ctx, tx, id, ac)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("message %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// deleteMessage removes one message in tx; files go after the commit.
func (p *Profile) deleteMessage(ctx context.Context, tx *wtx, id MessageID, ac *afterCommit) (bool, error) {
	var sent int64
	var body []byte
	err := tx.QueryRowContext(ctx, `SELECT sent_at, body FROM messages WHERE id = ?`, int64(id)).Scan(&sent, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if pt, err := p.keys.open("messages", "body", int64(id), body); err == nil {
		if err := deleteTokens(ctx, tx, searchTokens(p.keys, string(pt)), int64(id), sent); err != nil {
			return false, err
		}
	} else {
		// The body cannot be read back, so its tokens cannot be recomputed:
		// remove them the slow way rather than leave any behind.
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE message_id = ?`, int64(id)); err != nil {
			return false, err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT file_id FROM attachments WHERE message_id = ?`, int64(id))
	if err != nil {
		return false, err
	}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return false, err
		}
		ac.files = append(ac.files, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id = ?`, int64(id)); err != nil {
		return false, err
	}
	ac.checkpoint = true
	return true, nil
}

// React sets sender's reaction to a message; an empty emoji removes it.
func (p *Profile) React(ctx context.Context, id MessageID, sender ContactID, emoji string) error {
	return p.write(ctx, "store: react", func(tx *wtx, _ *afterCommit) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE id = ?`, int64(id)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("message %d: %w", id, ErrNotFound)
		}
		return p.setReaction(ctx, tx, id, Reaction{Sender: sender, Emoji: emoji, At: p.now()})
	})
}

func (p *Profile) setReaction(ctx context.Context, tx *wtx, msg MessageID, r Reaction) error {
	// The ciphertext is bound to the row id, so a changed reaction is a new row.
	if _, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE message_id = ? AND sender_id = ?`, int64(msg), int64(r.Sender)); err != nil {
		return err
	}
	if r.Emoji == "" {
		return nil
	}
	if r.At.IsZero() {
		r.At = p.now()
	}
	id, err := nextID(ctx, tx, "reactions")
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO reactions(id, message_id, sender_id, emoji, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, int64(msg), int64(r.Sender), p.keys.seal("reactions", "emoji", id, []byte(r.Emoji)), toMS(r.At))
	return err
}

func (p *Profile) reactions(ctx context.Context, q queryer, msg MessageID) ([]Reaction, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, sender_id, emoji, created_at FROM reactions WHERE message_id = ? ORDER BY created_at, id`, int64(msg))
	if err != nil {
		return nil, fmt.Errorf("store: reactions: %w", err)
	}
	defer rows.Close()
	var out []Reaction
	for rows.Next() {
		var id, sender, at int64
		var ct []byte
		if err := rows.Scan(&id, &sender, &ct, &at); err != nil {
			return nil, err
		}
		e, err := p.keys.open("reactions", "emoji", id, ct)
		if err != nil {
			return nil, fmt.Errorf("store: reactions: %w", err)
		}
		out = append(out, Reaction{Sender: ContactID(sender), Emoji: string(e), At: fromMS(at)})
	}
	return out, rows.Err()
}
