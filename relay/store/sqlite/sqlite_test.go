package sqlite

import (
	"context"
	"path/filepath"
	"testing"

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
