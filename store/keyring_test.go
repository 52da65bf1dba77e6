package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

const mockChildEnv = "SOTTO_STORE_KEYRING_MOCK_CHILD"

// TestGoKeyringErrorMapping runs TestGoKeyringMockChild in a child process:
// go-keyring's mock replaces the provider for the whole process and cannot
// be undone, so it must not leak into the real Secret Service test.
func TestGoKeyringErrorMapping(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestGoKeyringMockChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), mockChildEnv+"=1", "SOTTO_TEST_KEYRING=", "SOTTO_TEST_REQUIRE_SERVICES=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestGoKeyringMockChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestGoKeyringMockChild checks how the go-keyring backend's errors map to
// the store's, using go-keyring's own mock. Only meaningful in the child.
func TestGoKeyringMockChild(t *testing.T) {
	if os.Getenv(mockChildEnv) != "1" {
		t.Skip("child process of TestGoKeyringErrorMapping")
	}
	ctx := context.Background()
	// A bus address that is never dialled: the mock answers instead.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	kr := osKeyring{}

	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	if err := kr.set("a", "b"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("set with no provider: %v", err)
	}
	if _, err := kr.get("a"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("get with no provider: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := Create(ctx, dir, []byte("idk"), Options{Protection: ProtectionKeyring}); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("create in a failing keyring: %v", err)
	}
	// Auto falls to the passphrase when the keyring fails, never to plaintext.
	if _, err := Create(ctx, dir, []byte("idk"), Options{}); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("auto with a failing keyring and no passphrase: %v", err)
	}
	p, err := Create(ctx, dir, []byte("idk"), Options{Passphrase: testPass})
	if err != nil || p.Protection() != ProtectionPassphrase {
		t.Fatalf("auto with a failing keyring: %v", err)
	}
	p.Close()

	keyring.MockInit()
	if _, err := kr.get("missing"); !errors.Is(err, ErrKeyringEntryMissing) {
		t.Fatalf("get missing: %v", err)
	}
	if err := kr.delete("missing"); !errors.Is(err, ErrKeyringEntryMissing) {
		t.Fatalf("delete missing: %v", err)
	}
	dir2 := filepath.Join(t.TempDir(), "q")
	q, err := Create(ctx, dir2, []byte("idk"), Options{})
	if err != nil || q.Protection() != ProtectionKeyring {
		t.Fatalf("auto with a working keyring: %v", err)
	}
	q.Close()
	if q, err = Open(ctx, dir2, Options{}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	if err := Delete(dir2, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.get(keyringAccount(q.ID())); !errors.Is(err, ErrKeyringEntryMissing) {
		t.Fatalf("entry after Delete: %v", err)
	}
}
