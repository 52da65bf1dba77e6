package store

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// realKDF keeps the production Argon2id parameters for the one test that
// uses them; every other test runs with cheap ones so -race stays fast.
var realKDF, realMinKDF = passphraseKDF, minKDF

func TestMain(m *testing.M) {
	passphraseKDF = kdfParams{Time: 1, MemoryKiB: 64, Threads: 1}
	minKDF = passphraseKDF
	code := m.Run()
	if bigDir != "" {
		os.RemoveAll(filepath.Dir(bigDir))
	}
	os.Exit(code)
}

var testPass = []byte("correct horse battery staple")

// memKeyring is an in-memory keyringBackend for error-path tests.
type memKeyring struct {
	mu      sync.Mutex
	m       map[string]string
	down    bool          // available() reports false
	failSet error         // set returns this
	hang    chan struct{} // get blocks until closed
}

func newMemKeyring() *memKeyring { return &memKeyring{m: map[string]string{}} }

func (k *memKeyring) available() bool { return !k.down }

func (k *memKeyring) set(a, s string) error {
	if k.failSet != nil {
		return k.failSet
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[a] = s
	return nil
}

func (k *memKeyring) get(a string) (string, error) {
	if h := k.hang; h != nil {
		return withTimeout("get", func() (string, error) { <-h; return "", errors.New("late") })
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.m[a]
	if !ok {
		return "", ErrKeyringEntryMissing
	}
	return s, nil
}

func (k *memKeyring) delete(a string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[a]; !ok {
		return ErrKeyringEntryMissing
	}
	delete(k.m, a)
	return nil
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func passOpts() Options {
	return Options{Protection: ProtectionPassphrase, Passphrase: testPass}
}

// newProfile creates a passphrase-protected profile in a fresh directory.
func newProfile(t testing.TB, opts Options) (*Profile, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "profile")
	if opts.Protection == ProtectionAuto && opts.keyring == nil {
		opts.Protection, opts.Passphrase = ProtectionPassphrase, testPass
	}
	p, err := Create(context.Background(), dir, []byte("identity-private-key-0123456789abcdef"), opts)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p, dir
}

// newConversation adds a contact and a conversation with it.
func newConversation(t testing.TB, p *Profile, handle string) (ContactID, ConversationID) {
	t.Helper()
	ctx := context.Background()
	c, err := p.AddContact(ctx, Contact{Handle: handle, DisplayName: "Name of " + handle, IdentityKey: []byte("ik-" + handle)})
	if err != nil {
		t.Fatalf("AddContact: %v", err)
	}
	conv, err := p.EnsureConversation(ctx, c)
	if err != nil {
		t.Fatalf("EnsureConversation: %v", err)
	}
	return c, conv.ID
}

func mustInsert(t testing.TB, p *Profile, m Message) MessageID {
	t.Helper()
	id, err := p.InsertMessage(context.Background(), m)
	if err != nil {
		t.Fatalf("InsertMessage: %v", err)
	}
	return id
}

func encodeB64(b []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(b))
}
