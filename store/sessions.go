package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Ratchet session state is opaque to the store: crypto/ serialises it, the
// store keeps it encrypted in sessions.state, one row per (contact, device).

// SessionUpdate is what a session step produces, committed together.
type SessionUpdate struct {
	// State is the new serialised session state. It must not be empty.
	State []byte
	// Message, if not nil, is inserted in the same transaction (its ID is
	// filled in).
	Message *Message
	// ConsumePrekeys are one-time prekeys used by this step; they are
	// deleted in the same transaction, so they are never used twice.
	ConsumePrekeys []PrekeyRef
}

func (p *Profile) deviceMAC(contact ContactID, device string) []byte {
	return p.keys.mac(macDevice, idBytes(int64(contact)), []byte(device))
}

// Session returns the stored state for (contact, device), ErrNotFound if none.
func (p *Profile) Session(ctx context.Context, contact ContactID, device string) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	st, _, err := p.loadSession(ctx, p.stmts, contact, device)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	return st, nil
}

func (p *Profile) loadSession(ctx context.Context, q queryer, contact ContactID, device string) ([]byte, int64, error) {
	var id int64
	var ct []byte
	err := q.QueryRowContext(ctx, `SELECT id, state FROM sessions WHERE contact_id = ? AND device_mac = ?`,
		int64(contact), p.deviceMAC(contact, device)).Scan(&id, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: load session: %w", err)
	}
	st, err := p.keys.open("sessions", "state", id, ct)
	if err != nil {
		return nil, 0, fmt.Errorf("store: load session: %w", err)
	}
	return st, id, nil
}

// UpdateSession is the protocol's atomic step: in one write transaction it
// loads the state for (contact, device) (nil if there is none), calls fn,
// and commits fn's new state together with its message and consumed
// prekeys. If fn fails, or anything else does, nothing is written: the old
// state stays, no message appears. If the process dies before the commit,
// the same holds; after the commit, both are on disk. A message key is
// therefore never used twice and a received message is never lost, as long
// as the envelope is acknowledged to the relay only after this returns.
//
// fn runs with the profile's write lock held: it must not call back into
// the profile. fn's error is returned unwrapped.
func (p *Profile) UpdateSession(ctx context.Context, contact ContactID, device string, fn func(state []byte) (SessionUpdate, error)) (MessageID, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	sqlTx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: update session: %w", err)
	}
	defer sqlTx.Rollback()
	tx := &wtx{sqlTx, p.stmts}
	state, rowID, err := p.loadSession(ctx, tx, contact, device)
	if err != nil {
		return 0, err
	}
	up, err := fn(state)
	clear(state)
	if err != nil {
		return 0, err
	}
	if len(up.State) == 0 {
		return 0, errors.New("store: update session: empty new state")
	}
	var ac afterCommit
	if err := p.putSession(ctx, tx, contact, device, rowID, up.State); err != nil {
		return 0, fmt.Errorf("store: update session: %w", err)
	}
	for _, ref := range up.ConsumePrekeys {
		if err := deletePrekey(ctx, tx, ref); err != nil {
			return 0, fmt.Errorf("store: update session: %w", err)
		}
	}
	var id MessageID
	if up.Message != nil {
		if id, err = p.insertMessage(ctx, tx, up.Message, &ac); err != nil {
			return 0, fmt.Errorf("store: update session: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: update session: commit: %w", err)
	}
	p.runAfterCommit(&ac)
	return id, nil
}

func (p *Profile) putSession(ctx context.Context, tx *wtx, contact ContactID, device string, rowID int64, state []byte) error {
	now := toMS(p.now())
	if rowID != 0 {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET state = ?, updated_at = ? WHERE id = ?`,
			p.keys.seal("sessions", "state", rowID, state), now, rowID)
		return err
	}
	id, err := nextID(ctx, tx, "sessions")
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sessions(id, contact_id, device_mac, state, updated_at) VALUES (?, ?, ?, ?, ?)`,
		id, int64(contact), p.deviceMAC(contact, device), p.keys.seal("sessions", "state", id, state), now)
	return err
}

// PutSession stores a session state outside of a message step.
func (p *Profile) PutSession(ctx context.Context, contact ContactID, device string, state []byte) error {
	_, err := p.UpdateSession(ctx, contact, device, func([]byte) (SessionUpdate, error) {
		return SessionUpdate{State: state}, nil
	})
	return err
}

// DeleteSession forgets the session with (contact, device).
func (p *Profile) DeleteSession(ctx context.Context, contact ContactID, device string) error {
	return p.write(ctx, "store: delete session", func(tx *wtx, _ *afterCommit) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE contact_id = ? AND device_mac = ?`, int64(contact), p.deviceMAC(contact, device))
		return err
	})
}
