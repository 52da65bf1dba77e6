package app

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/store"
)

func newChats(t *testing.T, name, relayURL string) *Chats {
	t.Helper()
	c := NewChats(Profile(name), filepath.Join(t.TempDir(), name), relayURL, slog.New(slog.DiscardHandler), nil)
	t.Cleanup(func() { _ = CloseChats(c) })
	return c
}

const pass = "a passphrase for tests"

// TestChatsBackupRestore: an account backed up with its recovery key comes
// back in a fresh profile with its history, and can still send.
func TestChatsBackupRestore(t *testing.T) {
	url := relaytest.Serve(t)
	alice := newChats(t, "alice", url)
	bob := newChats(t, "bob", url)
	if _, err := alice.Register("@Alice", "", pass); err != nil {
		t.Fatalf("register: %v", err)
	}
	if st := alice.Status(); !st.SignedIn || st.Handle != "alice" {
		t.Fatalf("status %+v", st)
	}
	if _, err := bob.Register("bob", url, pass); err != nil {
		t.Fatal(err)
	}
	conv, err := alice.StartConversation("bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(conv.ID, "before the backup", 0); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "alice.sotto-backup")
	key, err := alice.Backup(file)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if len(key) < 30 {
		t.Fatalf("recovery key has %d characters", len(key))
	}
	if _, err := alice.Backup(file); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	_ = CloseChats(alice)

	restored := newChats(t, "alice2", url)
	if _, err := restored.Restore(file, strings.Repeat("A", len(key)), pass); !errors.Is(err, store.ErrWrongRecoveryKey) {
		t.Fatalf("wrong recovery key: %v", err)
	}
	st, err := restored.Restore(file, key, pass)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !st.SignedIn || st.Handle != "alice" {
		t.Fatalf("restored status %+v", st)
	}
	convs, err := restored.Conversations()
	if err != nil || len(convs) != 1 || convs[0].Handle != "bob" {
		t.Fatalf("restored conversations %+v, %v", convs, err)
	}
	msgs, err := restored.Messages(convs[0].ID, 0, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "before the backup" {
		t.Fatalf("restored history %+v, %v", msgs, err)
	}
	if _, err := restored.Send(convs[0].ID, "after the restore", 0); err != nil {
		t.Fatalf("send from the restored profile: %v", err)
	}
}

func TestChatsWordsForPeople(t *testing.T) {
	url := relaytest.Serve(t)
	c := newChats(t, "carol", url)
	if _, err := c.Conversations(); !errors.Is(err, ErrNotSignedIn) {
		t.Fatalf("before sign-in: %v", err)
	}
	if got := c.CheckHandle("ab"); got.Problem == "" {
		t.Fatal("a 2-character handle passed the check")
	}
	if got := c.CheckHandle("@Carol_1"); got.Problem != "" || got.Handle != "carol_1" {
		t.Fatalf("CheckHandle = %+v", got)
	}
	if _, err := c.Register("carol", url, pass); err != nil {
		t.Fatal(err)
	}
	_, err := c.StartConversation("nobody_at_all")
	var ue *UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Message, "No one has that handle") {
		t.Fatalf("unknown handle: %v", err)
	}
	if _, err := c.StartConversation("carol"); err == nil || !strings.Contains(err.Error(), "your own handle") {
		t.Fatalf("own handle: %v", err)
	}
}
