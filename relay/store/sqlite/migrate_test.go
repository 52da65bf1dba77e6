package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
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
	type dev struct {
		addr   api.Addr
		last   int64
		queued []int64
	}
	devs := []dev{
		{api.AddrFromKey([]byte("a")), 5, []int64{4, 5}}, // 1–3 acked
		{api.AddrFromKey([]byte("b")), 0, nil},           // never received
		{api.AddrFromKey([]byte("c")), 2, nil},           // all acked
	}
	for i, d := range devs {
		h := handle.MustParse(fmt.Sprintf("old_%d", i))
		hh, sk := h.Hash(), handle.Hash(h.Hash())
		if _, err := old.Exec(`INSERT INTO accounts(handle_hash, skeleton_hash, identity_key, created) VALUES (?, ?, x'01', 0)`, hh[:], sk[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(`INSERT INTO devices(addr, handle_hash, certificate, delivery_token_hash, last_seq, created) VALUES (?, ?, x'02', NULL, ?, 0)`,
			d.addr[:], hh[:], d.last); err != nil {
			t.Fatal(err)
		}
		for _, seq := range d.queued {
			if _, err := old.Exec(`INSERT INTO envelopes(addr, seq, id, sender, sent_at, expires, body) VALUES (?, ?, ?, NULL, 0, ?, ?)`,
				d.addr[:], seq, make([]byte, 16), exp, []byte(fmt.Sprintf("old %d", seq))); err != nil {
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
	now := time.Now()
	for _, d := range devs {
		if last, err := s.LastSeq(ctx, d.addr); err != nil || int64(last) != d.last {
			t.Fatalf("LastSeq = %d, %v; want %d", last, err, d.last)
		}
		got, err := s.Fetch(ctx, d.addr, 0, 10, now)
		if err != nil || len(got) != len(d.queued) {
			t.Fatalf("fetched %d envelopes (%v), want %d", len(got), err, len(d.queued))
		}
		for i, e := range got {
			if int64(e.Seq) != d.queued[i] || string(e.Body) != fmt.Sprintf("old %d", d.queued[i]) {
				t.Fatalf("envelope %d: seq %d %q", i, e.Seq, e.Body)
			}
		}
		seq, err := s.Enqueue(ctx, store.Envelope{To: d.addr, ID: api.NewEnvelopeID(), SentAt: now, Expires: now.Add(time.Hour), Body: []byte("new")})
		if err != nil || int64(seq) != d.last+1 {
			t.Fatalf("enqueue after migrating: seq %d, %v; want %d", seq, err, d.last+1)
		}
		if err := s.Ack(ctx, d.addr, seq-1); err != nil {
			t.Fatal(err)
		}
		got, err = s.Fetch(ctx, d.addr, 0, 10, now)
		if err != nil || len(got) != 1 || got[0].Seq != seq || string(got[0].Body) != "new" {
			t.Fatalf("after ack: %v %v", got, err)
		}
	}
	// A device registered after the migration numbers from 1.
	h := handle.MustParse("new_device")
	addr := api.AddrFromKey([]byte("new"))
	if err := s.CreateAccount(ctx, store.Account{HandleHash: h.Hash(), SkeletonHash: handle.Hash(h.Hash()), IdentityKey: []byte("k"), Created: now},
		store.Device{Addr: addr, Certificate: []byte("c"), Created: now}, nil); err != nil {
		t.Fatal(err)
	}
	if seq, err := s.Enqueue(ctx, store.Envelope{To: addr, ID: api.NewEnvelopeID(), SentAt: now, Expires: now.Add(time.Hour), Body: []byte("x")}); err != nil || seq != 1 {
		t.Fatalf("new device: seq %d, %v", seq, err)
	}
}
