package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sotto-im/sotto/relay/store"
)

// The key-transparency log: leaves at consecutive positions (the single
// writer connection serialises appends), one tree head per size.

// AppendLeaf implements store.Store.
func (s *Store) AppendLeaf(ctx context.Context, vrfIndex [32]byte, version uint64, data []byte) (uint64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: append leaf: %w", err)
	}
	defer tx.Rollback()
	var next uint64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM kt_leaves`).Scan(&next); err != nil {
		return 0, fmt.Errorf("sqlite: append leaf: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kt_leaves(idx, vrf_index, version, data) VALUES (?, ?, ?, ?)`,
		next, vrfIndex[:], version, data); err != nil {
		if isUnique(err) {
			return 0, store.ErrVersionExists
		}
		return 0, fmt.Errorf("sqlite: append leaf: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: append leaf: %w", err)
	}
	return next, nil
}

// LatestLeaf implements store.Store.
func (s *Store) LatestLeaf(ctx context.Context, vrfIndex [32]byte) (store.LogLeaf, error) {
	l := store.LogLeaf{VRFIndex: vrfIndex}
	err := s.r.QueryRowContext(ctx, `SELECT idx, version, data FROM kt_leaves WHERE vrf_index = ? ORDER BY version DESC LIMIT 1`,
		vrfIndex[:]).Scan(&l.Index, &l.Version, &l.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return store.LogLeaf{}, store.ErrNotFound
	}
	if err != nil {
		return store.LogLeaf{}, fmt.Errorf("sqlite: latest leaf: %w", err)
	}
	return l, nil
}

// Leaves implements store.Store.
func (s *Store) Leaves(ctx context.Context, start uint64, limit int) ([]store.LogLeaf, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT idx, vrf_index, version, data FROM kt_leaves WHERE idx >= ? ORDER BY idx LIMIT ?`, start, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: leaves: %w", err)
	}
	defer rows.Close()
	var out []store.LogLeaf
	for rows.Next() {
		var l store.LogLeaf
		var vi []byte
		if err := rows.Scan(&l.Index, &vi, &l.Version, &l.Data); err != nil {
			return nil, fmt.Errorf("sqlite: leaves: %w", err)
		}
		copy(l.VRFIndex[:], vi)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: leaves: %w", err)
	}
	return out, nil
}

// LogSize implements store.Store.
func (s *Store) LogSize(ctx context.Context) (uint64, error) {
	var n uint64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM kt_leaves`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: log size: %w", err)
	}
	return n, nil
}

// PutTreeHead implements store.Store.
func (s *Store) PutTreeHead(ctx context.Context, size uint64, data []byte) (store.TreeHead, error) {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO kt_heads(size, data) VALUES (?, ?) ON CONFLICT(size) DO NOTHING`, size, data); err != nil {
		return store.TreeHead{}, fmt.Errorf("sqlite: put tree head: %w", err)
	}
	return s.treeHead(ctx, s.w, `SELECT size, data FROM kt_heads WHERE size = ?`, size)
}

// LatestTreeHead implements store.Store.
func (s *Store) LatestTreeHead(ctx context.Context) (store.TreeHead, error) {
	return s.treeHead(ctx, s.r, `SELECT size, data FROM kt_heads ORDER BY size DESC LIMIT 1`)
}

// TreeHeadAt implements store.Store.
func (s *Store) TreeHeadAt(ctx context.Context, size uint64) (store.TreeHead, error) {
	return s.treeHead(ctx, s.r, `SELECT size, data FROM kt_heads WHERE size = ?`, size)
}

func (s *Store) treeHead(ctx context.Context, db *sql.DB, q string, args ...any) (store.TreeHead, error) {
	var h store.TreeHead
	err := db.QueryRowContext(ctx, q, args...).Scan(&h.Size, &h.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return store.TreeHead{}, store.ErrNotFound
	}
	if err != nil {
		return store.TreeHead{}, fmt.Errorf("sqlite: tree head: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT data FROM kt_cosignatures WHERE size = ? ORDER BY witness`, h.Size)
	if err != nil {
		return store.TreeHead{}, fmt.Errorf("sqlite: co-signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c []byte
		if err := rows.Scan(&c); err != nil {
			return store.TreeHead{}, fmt.Errorf("sqlite: co-signatures: %w", err)
		}
		h.Cosignatures = append(h.Cosignatures, c)
	}
	return h, rows.Err()
}

// AddCosignature implements store.Store.
func (s *Store) AddCosignature(ctx context.Context, size uint64, witness []byte, data []byte) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO kt_cosignatures(size, witness, data) SELECT size, ?, ? FROM kt_heads WHERE size = ?
		ON CONFLICT(size, witness) DO UPDATE SET data = excluded.data`, witness, data, size)
	if err != nil {
		return fmt.Errorf("sqlite: add co-signature: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
