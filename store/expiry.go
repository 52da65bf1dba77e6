package store

import (
	"context"
	"database/sql"
	"time"
)

// purgeBatch bounds how many expired messages one transaction removes.
const purgeBatch = 500

// maxExpirySleep bounds how long the timer sleeps without re-checking (a
// clock change or a suspended laptop can make a long sleep wrong).
const maxExpirySleep = time.Minute

// PurgeExpired deletes every message whose expiry has passed, with its
// reactions, index entries and attachment files. It runs on Open and from a
// timer; it returns how many messages were removed.
func (p *Profile) PurgeExpired(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := p.write(ctx, "store: purge expired", func(tx *wtx, ac *afterCommit) error {
			rows, err := tx.QueryContext(ctx, `SELECT id FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
				p.now().UnixMilli(), purgeBatch)
			if err != nil {
				return err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, id := range ids {
				if _, err := p.deleteMessage(ctx, tx, MessageID(id), ac); err != nil {
					return err
				}
			}
			n = len(ids)
			return nil
		})
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}

// nextExpiry is the earliest pending expiry, or false if none.
func (p *Profile) nextExpiry(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := p.stmts.QueryRowContext(ctx, `SELECT min(expires_at) FROM messages WHERE expires_at IS NOT NULL`).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// expiryLoop purges messages as they expire while the profile is open.
func (p *Profile) expiryLoop() {
	defer close(p.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-p.stop
		cancel()
	}()
	failed := false
	for {
		sleep := maxExpirySleep
		if at, ok, err := p.nextExpiry(ctx); err == nil && ok {
			sleep = min(max(at.Sub(p.now()), 0), maxExpirySleep)
		}
		if failed {
			sleep = max(sleep, time.Second)
		}
		t := time.NewTimer(sleep)
		select {
		case <-p.stop:
			t.Stop()
			return
		case <-p.wake:
			t.Stop()
			continue
		case <-t.C:
		}
		// An error here (closing, disk full) is retried on a later round.
		_, err := p.PurgeExpired(ctx)
		failed = err != nil
	}
}
