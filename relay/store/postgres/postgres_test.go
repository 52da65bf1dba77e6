package postgres_test

import (
	"context"
	"testing"

	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/relay/store/postgres"
	"github.com/sotto-im/sotto/relay/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), relaytest.PostgresDSN(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	dsn := relaytest.PostgresDSN(t)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestBadDSNNotEchoed(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://user:s3cret@%zz/db", postgres.Options{})
	if err == nil {
		t.Fatal("opened a malformed DSN")
	}
	if got := err.Error(); contains(got, "s3cret") {
		t.Fatalf("error echoes the password: %s", got)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
