package postgres

import "context"

// OldMigrations are the migrations up to schema 2, for the migration test.
var OldMigrations = migrations[:2]

// SchemaVersionOf reads the schema version s recorded.
func SchemaVersionOf(ctx context.Context, s *Store) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT version FROM relay_schema`).Scan(&v)
	return v, err
}
