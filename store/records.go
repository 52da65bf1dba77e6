package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DeviceKeys are this device's own keys. The identity private key is not
// here: it lives with the master key (keyring or passphrase wrapping).
type DeviceKeys struct {
	// Public is the public identity and device bundle, as crypto/ encodes it.
	Public []byte
	// Private holds the device's private keys, as crypto/ encodes them.
	Private []byte
}

// SetDeviceKeys stores (replaces) this device's keys.
func (p *Profile) SetDeviceKeys(ctx context.Context, k DeviceKeys) error {
	return p.write(ctx, "store: set device keys", func(tx *wtx, _ *afterCommit) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO device(id, created_at, public, private) VALUES (1, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET public = excluded.public, private = excluded.private`,
			toMS(p.now()), p.keys.seal("device", "public", 1, k.Public), p.keys.seal("device", "private", 1, k.Private))
		return err
	})
}

// DeviceKeys returns this device's keys, ErrNotFound before SetDeviceKeys.
func (p *Profile) DeviceKeys(ctx context.Context) (DeviceKeys, error) {
	if err := p.check(); err != nil {
		return DeviceKeys{}, err
	}
	var pub, priv []byte
	err := p.stmts.QueryRowContext(ctx, `SELECT public, private FROM device WHERE id = 1`).Scan(&pub, &priv)
	if errors.Is(err, sql.ErrNoRows) {
		return DeviceKeys{}, fmt.Errorf("device keys: %w", ErrNotFound)
	}
	if err != nil {
		return DeviceKeys{}, fmt.Errorf("store: device keys: %w", err)
	}
	var k DeviceKeys
	if k.Public, err = p.keys.open("device", "public", 1, pub); err != nil {
		return DeviceKeys{}, err
	}
	if k.Private, err = p.keys.open("device", "private", 1, priv); err != nil {
		return DeviceKeys{}, err
	}
	return k, nil
}

// PrekeyRef names one of this device's prekeys.
type PrekeyRef struct {
	Kind PrekeyKind
	ID   uint32
}

// PutPrekey stores (replaces) a prekey's private part.
func (p *Profile) PutPrekey(ctx context.Context, ref PrekeyRef, private []byte) error {
	return p.write(ctx, "store: put prekey", func(tx *wtx, _ *afterCommit) error {
		if err := deletePrekey(ctx, tx, ref); err != nil {
			return err
		}
		id, err := nextID(ctx, tx, "prekeys")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO prekeys(id, kind, key_id, private, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, int(ref.Kind), int64(ref.ID), p.keys.seal("prekeys", "private", id, private), toMS(p.now()))
		return err
	})
}

// Prekey returns a prekey's private part, ErrNotFound if absent (or consumed).
func (p *Profile) Prekey(ctx context.Context, ref PrekeyRef) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	var id int64
	var ct []byte
	err := p.stmts.QueryRowContext(ctx, `SELECT id, private FROM prekeys WHERE kind = ? AND key_id = ?`, int(ref.Kind), int64(ref.ID)).Scan(&id, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("prekey %v/%d: %w", ref.Kind, ref.ID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: prekey: %w", err)
	}
	return p.keys.open("prekeys", "private", id, ct)
}

// DeletePrekey removes a prekey.
func (p *Profile) DeletePrekey(ctx context.Context, ref PrekeyRef) error {
	return p.write(ctx, "store: delete prekey", func(tx *wtx, _ *afterCommit) error {
		return deletePrekey(ctx, tx, ref)
	})
}

// CountPrekeys counts the stored prekeys of a kind (for refilling).
func (p *Profile) CountPrekeys(ctx context.Context, kind PrekeyKind) (int, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	var n int
	err := p.stmts.QueryRowContext(ctx, `SELECT count(*) FROM prekeys WHERE kind = ?`, int(kind)).Scan(&n)
	return n, err
}

func deletePrekey(ctx context.Context, tx *wtx, ref PrekeyRef) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM prekeys WHERE kind = ? AND key_id = ?`, int(ref.Kind), int64(ref.ID))
	return err
}

// Named encrypted values: settings and key-transparency state. The name is
// stored only as a MAC; the value is encrypted.

func (p *Profile) putNamed(ctx context.Context, table, name string, value []byte) error {
	return p.write(ctx, "store: put "+table, func(tx *wtx, _ *afterCommit) error {
		mac := p.keys.mac(macName, []byte(table), []byte(name))
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE name_mac = ?`, mac); err != nil {
			return err
		}
		id, err := nextID(ctx, tx, table)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO `+table+`(id, name_mac, value, updated_at) VALUES (?, ?, ?, ?)`,
			id, mac, p.keys.seal(table, "value", id, value), toMS(p.now()))
		return err
	})
}

func (p *Profile) getNamed(ctx context.Context, table, name string) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	var id int64
	var ct []byte
	err := p.stmts.QueryRowContext(ctx, `SELECT id, value FROM `+table+` WHERE name_mac = ?`, p.keys.mac(macName, []byte(table), []byte(name))).Scan(&id, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %q: %w", table, name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", table, err)
	}
	return p.keys.open(table, "value", id, ct)
}

func (p *Profile) deleteNamed(ctx context.Context, table, name string) error {
	return p.write(ctx, "store: delete "+table, func(tx *wtx, _ *afterCommit) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE name_mac = ?`, p.keys.mac(macName, []byte(table), []byte(name)))
		return err
	})
}

// SetSetting stores a setting's value.
func (p *Profile) SetSetting(ctx context.Context, name string, value []byte) error {
	return p.putNamed(ctx, "settings", name, value)
}

// Setting returns a setting's value, ErrNotFound if never set.
func (p *Profile) Setting(ctx context.Context, name string) ([]byte, error) {
	return p.getNamed(ctx, "settings", name)
}

// DeleteSetting removes a setting.
func (p *Profile) DeleteSetting(ctx context.Context, name string) error {
	return p.deleteNamed(ctx, "settings", name)
}

// SetKTState stores key-transparency state (tree heads seen, monitoring
// position...) under a name of the caller's choosing.
func (p *Profile) SetKTState(ctx context.Context, name string, value []byte) error {
	return p.putNamed(ctx, "kt_state", name, value)
}

// KTState returns stored key-transparency state, ErrNotFound if none.
func (p *Profile) KTState(ctx context.Context, name string) ([]byte, error) {
	return p.getNamed(ctx, "kt_state", name)
}

// CallRecord is one entry of the call log.
type CallRecord struct {
	ID        CallID
	Contact   ContactID
	Direction Direction
	Video     bool
	Outcome   CallOutcome
	StartedAt time.Time
	EndedAt   time.Time
}

type callInfo struct {
	Direction Direction   `json:"d"`
	Video     bool        `json:"v,omitempty"`
	Outcome   CallOutcome `json:"o"`
}

// AddCall appends to the call log.
func (p *Profile) AddCall(ctx context.Context, c CallRecord) (CallID, error) {
	if c.StartedAt.IsZero() {
		c.StartedAt = p.now()
	}
	var id int64
	err := p.write(ctx, "store: add call", func(tx *wtx, _ *afterCommit) error {
		var err error
		if id, err = nextID(ctx, tx, "calls"); err != nil {
			return err
		}
		info, _ := json.Marshal(callInfo{Direction: c.Direction, Video: c.Video, Outcome: c.Outcome})
		var contact any
		if c.Contact != 0 {
			contact = int64(c.Contact)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO calls(id, contact_id, started_at, ended_at, info) VALUES (?, ?, ?, ?, ?)`,
			id, contact, toMS(c.StartedAt), nullMS(c.EndedAt), p.keys.seal("calls", "info", id, info))
		return err
	})
	return CallID(id), err
}

// Calls returns the call log, newest first, at most limit entries.
func (p *Profile) Calls(ctx context.Context, limit int) ([]CallRecord, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := p.stmts.QueryContext(ctx, `SELECT id, contact_id, started_at, ended_at, info FROM calls ORDER BY started_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: calls: %w", err)
	}
	defer rows.Close()
	var out []CallRecord
	for rows.Next() {
		var id, started int64
		var contact, ended sql.NullInt64
		var ct []byte
		if err := rows.Scan(&id, &contact, &started, &ended, &ct); err != nil {
			return nil, err
		}
		pt, err := p.keys.open("calls", "info", id, ct)
		if err != nil {
			return nil, fmt.Errorf("store: calls: %w", err)
		}
		var ci callInfo
		if err := json.Unmarshal(pt, &ci); err != nil {
			return nil, fmt.Errorf("%w: calls.info row %d: %v", ErrTampered, id, err)
		}
		out = append(out, CallRecord{ID: CallID(id), Contact: ContactID(contact.Int64), Direction: ci.Direction, Video: ci.Video,
			Outcome: ci.Outcome, StartedAt: fromMS(started), EndedAt: fromNullMS(ended)})
	}
	return out, rows.Err()
}
