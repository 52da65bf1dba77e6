package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// batchKind is one of the writer's multi-row statements.
type batchKind int

const (
	batchReadSeqs batchKind = iota // SELECT addr, last_seq FROM device_seqs … WHERE addr IN (…)
	batchInsert                    // INSERT INTO envelopes … VALUES (…), …
	batchSetSeqs                   // UPDATE device_seqs SET last_seq … FROM (VALUES …)
	batchAck                       // DELETE FROM envelopes … (VALUES (addr, upTo), …)
	batchKinds
)

// batchCols is the number of parameters per row of each kind.
var batchCols = [batchKinds]int{batchReadSeqs: 1, batchInsert: 7, batchSetSeqs: 2, batchAck: 2}

// batchRows are the row counts statements are prepared for; a batch is
// cut greedily into these, so a group commit reuses parsed statements
// instead of compiling SQL of its own length each time. The largest, with
// 7 parameters a row, stays far below SQLite's 32,766 variables.
var batchRows = [...]int{256, 64, 16, 4, 1}

func batchSQL(k batchKind, rows int) string {
	switch k {
	case batchReadSeqs:
		return `SELECT addr, last_seq FROM device_seqs WHERE addr IN (?` + strings.Repeat(",?", rows-1) + `)`
	case batchInsert:
		// OR IGNORE: a statement that cannot abort needs no statement
		// journal, which SQLite would otherwise fill with a copy of every
		// page the insert touches (64 KiB each, written to a temp file).
		// The writer checks that every row went in (see insertEnvelopes).
		return `INSERT OR IGNORE INTO envelopes(addr, seq, id, sender, sent_at, expires, body) VALUES (?,?,?,?,?,?,?)` +
			strings.Repeat(",(?,?,?,?,?,?,?)", rows-1)
	case batchSetSeqs:
		// OR IGNORE, as for the insert: the values are never NULL, so it
		// changes nothing but the statement journal.
		return `UPDATE OR IGNORE device_seqs SET last_seq = v.column2 FROM (VALUES (?,?)` + strings.Repeat(",(?,?)", rows-1) +
			`) AS v WHERE device_seqs.addr = v.column1`
	default:
		return `DELETE FROM envelopes WHERE rowid IN (SELECT e.rowid FROM (VALUES (?,?)` + strings.Repeat(",(?,?)", rows-1) +
			`) AS a JOIN envelopes e ON e.addr = a.column1 AND e.seq <= a.column2)`
	}
}

// batchStmts are the writer's statements, prepared once on the writer
// connection (the tx reuses them: database/sql keeps a statement prepared
// per connection, and the writer has one).
type batchStmts [batchKinds][len(batchRows)]*sql.Stmt

func prepareBatchStmts(ctx context.Context, db *sql.DB) (*batchStmts, error) {
	var b batchStmts
	for k := range batchKinds {
		for i, n := range batchRows {
			st, err := db.PrepareContext(ctx, batchSQL(k, n))
			if err != nil {
				b.close()
				return nil, fmt.Errorf("sqlite: prepare batch statement: %w", err)
			}
			b[k][i] = st
		}
	}
	return &b, nil
}

func (b *batchStmts) close() {
	for k := range b {
		for _, st := range b[k] {
			if st != nil {
				st.Close()
			}
		}
	}
}

// chunks calls f with tx-bound statements of kind k and the parameters
// they take, covering args (whole rows of batchCols[k] values) in order.
func (b *batchStmts) chunks(ctx context.Context, tx *sql.Tx, k batchKind, args []any, f func(*sql.Stmt, []any) error) error {
	cols := batchCols[k]
	for len(args) > 0 {
		rows := len(args) / cols
		i := 0
		for batchRows[i] > rows {
			i++
		}
		n := batchRows[i] * cols
		st := tx.StmtContext(ctx, b[k][i])
		err := f(st, args[:n])
		st.Close()
		if err != nil {
			return err
		}
		args = args[n:]
	}
	return nil
}

// insertEnvelopes runs batchInsert over args and fails unless every row
// was inserted: OR IGNORE would skip a row whose (addr, seq) exists, which
// the writer's own numbering rules out — if it ever happened, the batch
// must roll back rather than acknowledge an envelope it did not store.
func (b *batchStmts) insertEnvelopes(ctx context.Context, tx *sql.Tx, args []any) error {
	want := int64(len(args) / batchCols[batchInsert])
	var got int64
	err := b.chunks(ctx, tx, batchInsert, args, func(st *sql.Stmt, a []any) error {
		res, err := st.ExecContext(ctx, a...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got += n
		return err
	})
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: inserted %d of %d envelopes", errSeqTaken, got, want)
	}
	return nil
}

// errSeqTaken: an envelope's (addr, seq) was already stored.
var errSeqTaken = errors.New("sequence number already taken")

// exec runs kind k over args.
func (b *batchStmts) exec(ctx context.Context, tx *sql.Tx, k batchKind, args []any) error {
	return b.chunks(ctx, tx, k, args, func(st *sql.Stmt, a []any) error {
		_, err := st.ExecContext(ctx, a...)
		return err
	})
}
