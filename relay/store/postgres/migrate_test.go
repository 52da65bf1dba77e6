package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/relay/store/postgres"
	"github.com/sotto-im/sotto/relay/store/storetest"
)

// TestMigrateKeepsQueuedEnvelopes opens a database left at schema 2 (last
// sequence numbers in the devices table) with envelopes queued, migrates
// it and checks they are delivered in order, that numbering continues
// after the old last sequence and that acks still delete.
func TestMigrateKeepsQueuedEnvelopes(t *testing.T) {
	ctx := context.Background()
	dsn := relaytest.PostgresDSN(t)
	old, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range append([]string{`CREATE TABLE relay_schema (version integer NOT NULL); INSERT INTO relay_schema VALUES (2)`}, postgres.OldMigrations...) {
		if _, err := old.Exec(ctx, m); err != nil {
			t.Fatalf("old schema step %d: %v", i, err)
		}
	}
	exp := time.Now().Add(time.Hour)
	devs := storetest.OldQueues()
	for i, d := range devs {
		h := storetest.OldQueueHandle(i)
		hh, sk := h.Hash(), handle.Hash(h.Hash())
		if _, err := old.Exec(ctx, `INSERT INTO accounts(handle_hash, skeleton_hash, identity_key, created) VALUES ($1, $2, '\x01', now())`, hh[:], sk[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(ctx, `INSERT INTO devices(addr, handle_hash, certificate, delivery_token_hash, last_seq, created) VALUES ($1, $2, '\x02', NULL, $3, now())`,
			d.Addr[:], hh[:], d.Last); err != nil {
			t.Fatal(err)
		}
		for _, seq := range d.Queued {
			if _, err := old.Exec(ctx, `INSERT INTO envelopes(addr, seq, id, sender, sent_at, expires, body) VALUES ($1, $2, $3, NULL, now(), $4, $5)`,
				d.Addr[:], seq, make([]byte, 16), exp, []byte(fmt.Sprintf("old %d", seq))); err != nil {
				t.Fatal(err)
			}
		}
	}
	old.Close(ctx)

	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer s.Close()
	if ver, err := postgres.SchemaVersionOf(ctx, s); err != nil || ver != postgres.SchemaVersion {
		t.Fatalf("schema version %d %v, want %d", ver, err, postgres.SchemaVersion)
	}
	storetest.CheckMigratedQueues(t, s, devs)
}
