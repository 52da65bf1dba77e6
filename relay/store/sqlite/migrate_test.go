package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/store/storetest"
)

// TestMigrateKeepsQueuedEnvelopes opens a database left at schema 2 (last
// sequence numbers in the devices table) with envelopes queued, migrates
// it and checks they are delivered in order, that numbering continues
// after the old last sequence and that acks still delete.
func TestMigrateKeepsQueuedEnvelopes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relay.db")
	old, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA page_size = 65536`, `PRAGMA journal_mode = WAL`} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range migrations[:2] {
		if _, err := old.Exec(m); err != nil {
			t.Fatalf("old migration %d: %v", i+1, err)
		}
	}
	exp := time.Now().Add(time.Hour).UnixMilli()
	devs := storetest.OldQueues()
	for i, d := range devs {
		h := storetest.OldQueueHandle(i)
		hh, sk := h.Hash(), handle.Hash(h.Hash())
		if _, err := old.Exec(`INSERT INTO accounts(handle_hash, skeleton_hash, identity_key, created) VALUES (?, ?, x'01', 0)`, hh[:], sk[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(`INSERT INTO devices(addr, handle_hash, certificate, delivery_token_hash, last_seq, created) VALUES (?, ?, x'02', NULL, ?, 0)`,
			d.Addr[:], hh[:], d.Last); err != nil {
			t.Fatal(err)
		}
		for _, seq := range d.Queued {
			if _, err := old.Exec(`INSERT INTO envelopes(addr, seq, id, sender, sent_at, expires, body) VALUES (?, ?, ?, NULL, 0, ?, ?)`,
				d.Addr[:], seq, make([]byte, 16), exp, []byte(fmt.Sprintf("old %d", seq))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := old.Exec(`PRAGMA user_version = 2`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer s.Close()
	var ver int
	if err := s.w.QueryRow(`PRAGMA user_version`).Scan(&ver); err != nil || ver != SchemaVersion {
		t.Fatalf("user_version %d %v, want %d", ver, err, SchemaVersion)
	}
	storetest.CheckMigratedQueues(t, s, devs)
}
