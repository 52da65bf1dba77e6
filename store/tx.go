package store

import (
	"context"
	"fmt"
)

// afterCommit collects work that must only happen once a transaction has
// committed: removing attachment files, waking the expiry timer.
type afterCommit struct {
	files []string // attachment file ids to shred
	wake  bool
	// checkpoint: rows were deleted; copy the WAL into the database (where
	// secure_delete has zeroed them) and truncate it, so old page images
	// holding their ciphertext do not linger in the WAL.
	checkpoint bool
}

// write runs fn in one write transaction. Writers are serialised by wmu.
func (p *Profile) write(ctx context.Context, what string, fn func(tx *wtx, ac *afterCommit) error) error {
	if err := p.check(); err != nil {
		return err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	var ac afterCommit
	if err := fn(&wtx{tx, p.stmts}, &ac); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	p.runAfterCommit(&ac)
	return nil
}

func (p *Profile) runAfterCommit(ac *afterCommit) {
	for _, f := range ac.files {
		// A file that cannot be removed now is an orphan that the sweep on
		// the next open removes; its key is already gone with its row.
		_ = shredFile(attachmentPath(p.dir, f))
	}
	if ac.checkpoint {
		// Best effort: with a reader active the WAL cannot be fully reset;
		// a later checkpoint finishes the job.
		_, _ = p.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	if ac.wake {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}
