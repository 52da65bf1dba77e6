package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zalando/go-keyring"
)

// requireKeyring skips without a real Secret Service — unless the harness
// promised one (SOTTO_TEST_REQUIRE_SERVICES=1), then its absence fails.
func requireKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("SOTTO_TEST_KEYRING") != "1" {
		if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("SOTTO_TEST_REQUIRE_SERVICES=1 but SOTTO_TEST_KEYRING is not set: run under scripts/with-services.sh")
		}
		t.Skip("no Secret Service (run under scripts/with-services.sh)")
	}
	if !(osKeyring{}).available() {
		t.Fatal("SOTTO_TEST_KEYRING=1 but DBUS_SESSION_BUS_ADDRESS is empty")
	}
}

// TestSecretServiceKeyring stores and reads the keys through go-keyring and
// the real gnome-keyring Secret Service.
func TestSecretServiceKeyring(t *testing.T) {
	requireKeyring(t)
	ctx := context.Background()
	root := t.TempDir()
	dirA, dirB := filepath.Join(root, "a"), filepath.Join(root, "b")

	// Two profiles on one machine, keyring chosen automatically.
	a, err := Create(ctx, dirA, []byte("identity-A"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Create(ctx, dirB, []byte("identity-B"), Options{Protection: ProtectionKeyring})
	if err != nil {
		t.Fatal(err)
	}
	if a.Protection() != ProtectionKeyring || b.Protection() != ProtectionKeyring {
		t.Fatalf("protection %v / %v, want keyring", a.Protection(), b.Protection())
	}
	if keyringAccount(a.ID()) == keyringAccount(b.ID()) {
		t.Fatal("two profiles share a keyring entry")
	}
	_, conv := newConversation(t, a, "@bob")
	mid := mustInsert(t, a, Message{Conversation: conv, Body: "kept through keyring moves"})
	a.Close()
	b.Close()

	// The entries exist in the Secret Service, one per profile, and profile.json
	// holds no key.
	for _, d := range []string{dirA, dirB} {
		pf, err := readProfileFile(d)
		if err != nil {
			t.Fatal(err)
		}
		v, err := keyring.Get(keyringService, pf.Keyring.Account)
		if err != nil || v == "" {
			t.Fatalf("keyring entry for %s: %v", d, err)
		}
		raw, _ := os.ReadFile(filepath.Join(d, profileFileName))
		if bytes.Contains(raw, []byte(v)) {
			t.Fatal("profile.json contains the keyring secret")
		}
	}

	// Reopen from the keyring alone.
	a, err = Open(ctx, dirA, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.IdentityKey()) != "identity-A" {
		t.Fatal("identity key A differs")
	}
	b, err = Open(ctx, dirB, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b.IdentityKey()) != "identity-B" {
		t.Fatal("identity key B differs")
	}
	b.Close()

	// Keyring → passphrase: the entry is deleted, the passphrase opens it.
	pfA, _ := readProfileFile(dirA)
	if err := a.UsePassphrase(nil, []byte("moving out")); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(keyringService, pfA.Keyring.Account); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("keyring entry after moving to a passphrase: %v", err)
	}
	a.Close()
	if _, err := Open(ctx, dirA, Options{}); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("open without passphrase: %v", err)
	}
	a, err = Open(ctx, dirA, Options{Passphrase: []byte("moving out")})
	if err != nil {
		t.Fatal(err)
	}
	// Passphrase → keyring.
	if err := a.UseKeyring([]byte("moving out")); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a, err = Open(ctx, dirA, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := a.Message(ctx, mid); err != nil || m.Body != "kept through keyring moves" {
		t.Fatalf("message after moves: %v", err)
	}
	a.Close()

	// Delete removes the keyring entries.
	for _, d := range []string{dirA, dirB} {
		pf, _ := readProfileFile(d)
		if err := Delete(d, Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := keyring.Get(keyringService, pf.Keyring.Account); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("entry after Delete: %v", err)
		}
	}
	if _, err := Open(ctx, dirA, Options{}); !errors.Is(err, ErrNoProfile) {
		t.Fatalf("open after Delete: %v", err)
	}
}
