package postgres

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

var migrateDBSeq atomic.Int64

// freshDSN creates an empty database on the test cluster (relaytest does
// the same, but importing it here would be an import cycle).
func freshDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SOTTO_TEST_PG_DSN")
	if base == "" {
		if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("SOTTO_TEST_PG_DSN not set but SOTTO_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("SOTTO_TEST_PG_DSN not set (run under scripts/with-services.sh)")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test cluster: %v", err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("relay_migrate_%d_%d", os.Getpid(), migrateDBSeq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestMigrateKeepsQueuedEnvelopes opens a database left at schema 2 (last
// sequence numbers in the devices table) with envelopes queued, migrates
// it and checks they are delivered in order, that numbering continues
// after the old last sequence and that acks still delete.
func TestMigrateKeepsQueuedEnvelopes(t *testing.T) {
	ctx := context.Background()
	dsn := freshDSN(t)
	old, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range append([]string{`CREATE TABLE relay_schema (version integer NOT NULL); INSERT INTO relay_schema VALUES (2)`}, migrations[:2]...) {
		if _, err := old.Exec(ctx, m); err != nil {
			t.Fatalf("old schema step %d: %v", i, err)
		}
	}
	exp := time.Now().Add(time.Hour)
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
		if _, err := old.Exec(ctx, `INSERT INTO accounts(handle_hash, skeleton_hash, identity_key, created) VALUES ($1, $2, '\x01', now())`, hh[:], sk[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(ctx, `INSERT INTO devices(addr, handle_hash, certificate, delivery_token_hash, last_seq, created) VALUES ($1, $2, '\x02', NULL, $3, now())`,
			d.addr[:], hh[:], d.last); err != nil {
			t.Fatal(err)
		}
		for _, seq := range d.queued {
			if _, err := old.Exec(ctx, `INSERT INTO envelopes(addr, seq, id, sender, sent_at, expires, body) VALUES ($1, $2, $3, NULL, now(), $4, $5)`,
				d.addr[:], seq, make([]byte, 16), exp, []byte(fmt.Sprintf("old %d", seq))); err != nil {
				t.Fatal(err)
			}
		}
	}
	old.Close(ctx)

	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer s.Close()
	var ver int
	if err := s.pool.QueryRow(ctx, `SELECT version FROM relay_schema`).Scan(&ver); err != nil || ver != SchemaVersion {
		t.Fatalf("schema version %d %v, want %d", ver, err, SchemaVersion)
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
