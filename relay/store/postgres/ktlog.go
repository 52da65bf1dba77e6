package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sotto-im/sotto/relay/store"
)

// ktAppendLock serialises appends across nodes, so positions are
// consecutive and assigned in commit order.
const ktAppendLock = 0x6b745f6c6f67 // "kt_log"

// AppendLeaf implements store.Store.
func (s *Store) AppendLeaf(ctx context.Context, vrfIndex [32]byte, version uint64, data []byte) (uint64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: append leaf: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(ktAppendLock)); err != nil {
		return 0, fmt.Errorf("postgres: append leaf: %w", err)
	}
	var next int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM kt_leaves`).Scan(&next); err != nil {
		return 0, fmt.Errorf("postgres: append leaf: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO kt_leaves(idx, vrf_index, version, data) VALUES ($1, $2, $3, $4)`,
		next, vrfIndex[:], int64(version), data); err != nil {
		if uniqueViolation(err) != "" {
			return 0, store.ErrVersionExists
		}
		return 0, fmt.Errorf("postgres: append leaf: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("postgres: append leaf: %w", err)
	}
	return uint64(next), nil
}

// LatestLeaf implements store.Store.
func (s *Store) LatestLeaf(ctx context.Context, vrfIndex [32]byte) (store.LogLeaf, error) {
	l := store.LogLeaf{VRFIndex: vrfIndex}
	var idx, version int64
	err := s.pool.QueryRow(ctx, `SELECT idx, version, data FROM kt_leaves WHERE vrf_index = $1 ORDER BY version DESC LIMIT 1`,
		vrfIndex[:]).Scan(&idx, &version, &l.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.LogLeaf{}, store.ErrNotFound
	}
	if err != nil {
		return store.LogLeaf{}, fmt.Errorf("postgres: latest leaf: %w", err)
	}
	l.Index, l.Version = uint64(idx), uint64(version)
	return l, nil
}

// Leaves implements store.Store.
func (s *Store) Leaves(ctx context.Context, start uint64, limit int) ([]store.LogLeaf, error) {
	rows, err := s.pool.Query(ctx, `SELECT idx, vrf_index, version, data FROM kt_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2`, int64(start), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: leaves: %w", err)
	}
	defer rows.Close()
	var out []store.LogLeaf
	for rows.Next() {
		var l store.LogLeaf
		var idx, version int64
		var vi []byte
		if err := rows.Scan(&idx, &vi, &version, &l.Data); err != nil {
			return nil, fmt.Errorf("postgres: leaves: %w", err)
		}
		l.Index, l.Version = uint64(idx), uint64(version)
		copy(l.VRFIndex[:], vi)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: leaves: %w", err)
	}
	return out, nil
}

// LogSize implements store.Store.
func (s *Store) LogSize(ctx context.Context) (uint64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM kt_leaves`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: log size: %w", err)
	}
	return uint64(n), nil
}

// PutTreeHead implements store.Store.
func (s *Store) PutTreeHead(ctx context.Context, size uint64, data []byte) (store.TreeHead, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO kt_heads(size, data) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING`, int64(size), data); err != nil {
		return store.TreeHead{}, fmt.Errorf("postgres: put tree head: %w", err)
	}
	return s.TreeHeadAt(ctx, size)
}

// LatestTreeHead implements store.Store.
func (s *Store) LatestTreeHead(ctx context.Context) (store.TreeHead, error) {
	return s.treeHead(ctx, `SELECT size, data FROM kt_heads ORDER BY size DESC LIMIT 1`)
}

// TreeHeadAt implements store.Store.
func (s *Store) TreeHeadAt(ctx context.Context, size uint64) (store.TreeHead, error) {
	return s.treeHead(ctx, `SELECT size, data FROM kt_heads WHERE size = $1`, int64(size))
}

func (s *Store) treeHead(ctx context.Context, q string, args ...any) (store.TreeHead, error) {
	var h store.TreeHead
	var size int64
	err := s.pool.QueryRow(ctx, q, args...).Scan(&size, &h.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.TreeHead{}, store.ErrNotFound
	}
	if err != nil {
		return store.TreeHead{}, fmt.Errorf("postgres: tree head: %w", err)
	}
	h.Size = uint64(size)
	rows, err := s.pool.Query(ctx, `SELECT data FROM kt_cosignatures WHERE size = $1 ORDER BY witness`, size)
	if err != nil {
		return store.TreeHead{}, fmt.Errorf("postgres: co-signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c []byte
		if err := rows.Scan(&c); err != nil {
			return store.TreeHead{}, fmt.Errorf("postgres: co-signatures: %w", err)
		}
		h.Cosignatures = append(h.Cosignatures, c)
	}
	return h, rows.Err()
}

// AddCosignature implements store.Store.
func (s *Store) AddCosignature(ctx context.Context, size uint64, witness []byte, data []byte) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO kt_cosignatures(size, witness, data) SELECT size, $2, $3 FROM kt_heads WHERE size = $1
		ON CONFLICT (size, witness) DO UPDATE SET data = excluded.data`, int64(size), witness, data)
	if err != nil {
		return fmt.Errorf("postgres: add co-signature: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
