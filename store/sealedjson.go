package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// updateSealedJSON changes one sealed JSON column in place: it reads row id's
// table.column, opens it, lets change edit the decoded value, and seals it
// back, all in tx. The plaintext buffers are cleared afterwards; change may
// clear secrets of its own in the value once it has used them (it runs
// before the value is encoded, so it must leave what is to be stored).
// table and column are constants of this package, never input.
func updateSealedJSON[T any](ctx context.Context, p *Profile, tx *wtx, table, column string, id int64, change func(*T)) error {
	var ct []byte
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE id = ?`, column, table), id).Scan(&ct)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %d: %w", table, id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	pt, err := p.keys.open(table, column, id, ct)
	if err != nil {
		return err
	}
	defer clear(pt)
	var v T
	if err := json.Unmarshal(pt, &v); err != nil {
		return fmt.Errorf("%w: %s.%s row %d: %v", ErrTampered, table, column, id, err)
	}
	change(&v)
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	defer clear(b)
	_, err = tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE id = ?`, table, column), p.keys.seal(table, column, id, b), id)
	return err
}
