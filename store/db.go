package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"modernc.org/sqlite" // also registers the "sqlite" driver
)

const dbFileName = "sotto.db"

// openDB opens the profile database with the pragmas the store relies on:
// WAL (readers never block the writer), synchronous=FULL (a committed
// message survives power loss), foreign keys, secure_delete (freed pages are
// zeroed), and a busy timeout.
func openDB(path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(1)",
		"secure_delete(1)",
		// 32 MiB of page cache: the blind index is written at random
		// positions, and a bigger cache saves re-reading its pages.
		"cache_size(-32768)",
	} {
		q.Add("_pragma", p)
	}
	// Write transactions take the write lock at BEGIN (and wait for it
	// through the busy timeout) instead of failing when a read lock cannot
	// be upgraded — that matters when a second process opens the profile.
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, err
	}
	if mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	return db, nil
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// nextID allocates a row id for table from id_seq. Ids are never reused, so
// a ciphertext of a deleted row can never become valid for a new one.
func nextID(ctx context.Context, tx queryer, table string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `UPDATE id_seq SET next = next + 1 WHERE name = ? RETURNING next - 1`, table).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("allocate %s id: %w", table, err)
	}
	return id, nil
}

// dbError marks errors that mean the database file itself is damaged (not
// a database, or corrupt) as ErrCorruptProfile.
func dbError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
			return fmt.Errorf("%w: %s: %v", ErrCorruptProfile, dbFileName, err)
		}
	}
	return err
}
