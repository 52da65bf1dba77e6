package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/relay/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "relay.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.db")
	ctx := context.Background()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RelaySecret(ctx, "k", func() []byte { return []byte("v") }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.RelaySecret(ctx, "k", func() []byte { return []byte("other") })
	if err != nil || string(v) != "v" {
		t.Fatalf("%q %v", v, err)
	}
	var ver int
	if err := s.w.QueryRow(`PRAGMA user_version`).Scan(&ver); err != nil || ver != SchemaVersion {
		t.Fatalf("user_version %d %v", ver, err)
	}
	var mode string
	if err := s.w.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q", mode)
	}
	var page int
	if err := s.w.QueryRow(`PRAGMA page_size`).Scan(&page); err != nil || page != 65536 {
		t.Fatalf("page_size %d", page)
	}
	var sync int
	if err := s.w.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
		t.Fatalf("synchronous %d (want 2 = FULL)", sync)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), path, Options{}); err == nil {
		t.Fatal("opened a newer schema")
	}
}

// TestTakenSequenceFailsTheBatch: the insert ignores a row whose (addr,
// seq) exists (so it needs no statement journal); the writer must then
// fail the batch, never acknowledge an envelope it did not store.
func TestTakenSequenceFailsTheBatch(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "relay.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := handle.MustParse("taken_seq")
	addr := api.AddrFromKey([]byte("taken"))
	if err := s.CreateAccount(ctx, store.Account{HandleHash: h.Hash(), SkeletonHash: handle.Hash(h.Hash()), IdentityKey: []byte("k"), Created: time.Now()},
		store.Device{Addr: addr, Certificate: []byte("c"), Created: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	env := store.Envelope{To: addr, ID: api.NewEnvelopeID(), SentAt: time.Now(), Expires: time.Now().Add(time.Hour), Body: []byte("first")}
	if seq, err := s.Enqueue(ctx, env); err != nil || seq != 1 {
		t.Fatalf("first enqueue: %d %v", seq, err)
	}
	// Another writer (a bug) takes sequence 2 behind the writer's back.
	if _, err := s.w.Exec(`INSERT INTO envelopes(addr, seq, id, sent_at, expires, body) VALUES (?, 2, ?, 0, ?, x'00')`,
		addr[:], make([]byte, 16), time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	env.ID, env.Body = api.NewEnvelopeID(), []byte("second")
	if seq, err := s.Enqueue(ctx, env); err == nil {
		t.Fatalf("enqueue onto a taken sequence acknowledged as %d", seq)
	}
	// The failed batch dropped the writer's cached numbering: the next
	// enqueue reads last_seq again and succeeds after the stray row.
	if _, err := s.w.Exec(`UPDATE device_seqs SET last_seq = 2 WHERE addr = ?`, addr[:]); err != nil {
		t.Fatal(err)
	}
	env.ID, env.Body = api.NewEnvelopeID(), []byte("third")
	if seq, err := s.Enqueue(ctx, env); err != nil || seq != 3 {
		t.Fatalf("enqueue after the failure: %d %v", seq, err)
	}
}
