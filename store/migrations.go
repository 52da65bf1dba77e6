package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// A migration moves the schema from version-1 to version. Each runs in one
// transaction together with the PRAGMA user_version bump, so a crash leaves
// the database at the old or the new version, never in between.
type migration struct {
	version int
	sql     string
	// data transforms rows after sql ran; it may be nil.
	data func(ctx context.Context, tx *sql.Tx, k *columnKeys) error
}

// schemaVersion is the version this code writes and reads.
var schemaVersion = len(migrations)

var migrations = []migration{
	{version: 1, sql: schemaV1},
	{version: 2, sql: schemaV2, data: buildSearchIndex},
	{version: 3, sql: schemaV3, data: splitReactions},
}

// schemaV1: the first release. Reactions were one encrypted JSON column of
// messages; there was no search, no expiry, no call log, no KT state.
const schemaV1 = `
CREATE TABLE id_seq(name TEXT PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO id_seq(name, next) VALUES ('contacts',1),('conversations',1),('sessions',1),
  ('prekeys',1),('messages',1),('attachments',1),('settings',1);
CREATE TABLE device(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  created_at INTEGER NOT NULL,
  public BLOB NOT NULL,
  private BLOB NOT NULL);
CREATE TABLE contacts(
  id INTEGER PRIMARY KEY,
  handle_mac BLOB NOT NULL UNIQUE,
  handle BLOB NOT NULL,
  profile BLOB NOT NULL,
  identity_key BLOB NOT NULL,
  verification BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE TABLE conversations(
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL UNIQUE REFERENCES contacts(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL,
  settings BLOB NOT NULL);
CREATE TABLE sessions(
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  device_mac BLOB NOT NULL,
  state BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE(contact_id, device_mac));
CREATE TABLE prekeys(
  id INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  private BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE(kind, key_id));
CREATE TABLE messages(
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  reply_to INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  remote_mac BLOB UNIQUE,
  sent_at INTEGER NOT NULL,
  received_at INTEGER,
  edited_at INTEGER,
  meta BLOB NOT NULL,
  body BLOB NOT NULL,
  reactions BLOB);
CREATE INDEX messages_by_conversation ON messages(conversation_id, sent_at, id);
CREATE INDEX messages_by_reply ON messages(reply_to) WHERE reply_to IS NOT NULL;
CREATE TABLE attachments(
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  file_id TEXT NOT NULL UNIQUE,
  info BLOB NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX attachments_by_message ON attachments(message_id);
CREATE TABLE settings(
  id INTEGER PRIMARY KEY,
  name_mac BLOB NOT NULL UNIQUE,
  value BLOB NOT NULL,
  updated_at INTEGER NOT NULL);
`

// schemaV2: disappearing messages, the blind search index (back-filled from
// the existing bodies) and the call log.
const schemaV2 = `
ALTER TABLE messages ADD COLUMN expires_at INTEGER;
CREATE INDEX messages_by_expiry ON messages(expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE search_index(
  token INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  conversation_id INTEGER NOT NULL,
  PRIMARY KEY(token, sent_at, message_id)) WITHOUT ROWID;
CREATE TABLE calls(
  id INTEGER PRIMARY KEY,
  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  info BLOB NOT NULL);
CREATE INDEX calls_by_start ON calls(started_at);
CREATE INDEX calls_by_contact ON calls(contact_id) WHERE contact_id IS NOT NULL;
INSERT INTO id_seq(name, next) VALUES ('calls',1);
`

// schemaV3: reactions get their own table (one row per sender, so one
// person's reaction changes without rewriting everyone else's), and the key
// transparency state.
const schemaV3 = `
CREATE TABLE reactions(
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  sender_id INTEGER NOT NULL,
  emoji BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE(message_id, sender_id));
CREATE TABLE kt_state(
  id INTEGER PRIMARY KEY,
  name_mac BLOB NOT NULL UNIQUE,
  value BLOB NOT NULL,
  updated_at INTEGER NOT NULL);
INSERT INTO id_seq(name, next) VALUES ('reactions',1),('kt_state',1);
`

// buildSearchIndex indexes every existing message body (v1 → v2).
func buildSearchIndex(ctx context.Context, tx *sql.Tx, k *columnKeys) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, conversation_id, sent_at, body FROM messages`)
	if err != nil {
		return err
	}
	type row struct {
		id, conv, sent int64
		body           []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.conv, &r.sent, &r.body); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		body, err := k.open("messages", "body", r.id, r.body)
		if err != nil {
			return err
		}
		if err := insertTokens(ctx, tx, searchTokens(k, string(body)), r.id, r.conv, r.sent); err != nil {
			return err
		}
	}
	return nil
}

// v1Reaction is an element of the v1 messages.reactions JSON array.
type v1Reaction struct {
	Sender int64  `json:"sender"`
	Emoji  string `json:"emoji"`
	At     int64  `json:"at"`
}

// splitReactions moves v1/v2 reactions into the reactions table (v2 → v3),
// re-encrypting each emoji for its new place, then drops the old column.
func splitReactions(ctx context.Context, tx *sql.Tx, k *columnKeys) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, reactions FROM messages WHERE reactions IS NOT NULL`)
	if err != nil {
		return err
	}
	type row struct {
		id  int64
		enc []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.enc); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		pt, err := k.open("messages", "reactions", r.id, r.enc)
		if err != nil {
			return err
		}
		var rs []v1Reaction
		if err := json.Unmarshal(pt, &rs); err != nil {
			return fmt.Errorf("%w: messages.reactions row %d: %v", ErrTampered, r.id, err)
		}
		for _, x := range rs {
			// A later entry for the same sender replaces the earlier one.
			if _, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE message_id = ? AND sender_id = ?`, r.id, x.Sender); err != nil {
				return err
			}
			id, err := nextID(ctx, tx, "reactions")
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO reactions(id, message_id, sender_id, emoji, created_at) VALUES (?, ?, ?, ?, ?)`,
				id, r.id, x.Sender, k.seal("reactions", "emoji", id, []byte(x.Emoji)), x.At)
			if err != nil {
				return err
			}
		}
	}
	_, err = tx.ExecContext(ctx, `ALTER TABLE messages DROP COLUMN reactions`)
	return err
}

func userVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
	return v, err
}

// migrate brings db to target (≤ schemaVersion), one transaction per step.
func migrate(ctx context.Context, db *sql.DB, k *columnKeys, target int) error {
	cur, err := userVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > schemaVersion {
		return fmt.Errorf("%w: database is at version %d, this program knows %d", ErrSchemaTooNew, cur, schemaVersion)
	}
	for _, m := range migrations {
		if m.version <= cur || m.version > target {
			continue
		}
		if err := runMigration(ctx, db, k, m); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", m.version, err)
		}
	}
	return nil
}

func runMigration(ctx context.Context, db *sql.DB, k *columnKeys, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if m.data != nil {
		if err := m.data(ctx, tx, k); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, m.version)); err != nil {
		return err
	}
	return tx.Commit()
}
