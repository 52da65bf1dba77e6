package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MessageByRemoteID returns the message a peer refers to by its protocol id
// (receipts, reactions, edits, deletions and replies name messages that way).
// The id is found through its keyed MAC, so the file holds no remote ids.
func (p *Profile) MessageByRemoteID(ctx context.Context, remoteID []byte) (Message, error) {
	if err := p.check(); err != nil {
		return Message{}, err
	}
	if len(remoteID) == 0 {
		return Message{}, fmt.Errorf("message by remote id: %w", ErrNotFound)
	}
	var id int64
	err := p.stmts.QueryRowContext(ctx, `SELECT id FROM messages WHERE remote_mac = ?`,
		p.keys.mac(macRemoteID, remoteID)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("message by remote id: %w", ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("store: message by remote id: %w", err)
	}
	return p.Message(ctx, MessageID(id))
}
