package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecoveryKeyFormat(t *testing.T) {
	raw, s, err := newRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.ReplaceAll(s, "-", "")) < 30 {
		t.Fatalf("recovery key %d characters", len(s))
	}
	for _, variant := range []string{s, strings.ToLower(s), strings.ReplaceAll(s, "-", " "), strings.ReplaceAll(s, "-", "")} {
		got, err := parseRecoveryKey(variant)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("parse %q: %v", variant, err)
		}
	}
	for _, bad := range []string{"", "ABCD", s + "A", s[:len(s)-1], "!!!!-" + s[5:]} {
		if _, err := parseRecoveryKey(bad); !errors.Is(err, ErrWrongRecoveryKey) {
			t.Errorf("parse %q: %v", bad, err)
		}
	}
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	kr := newMemKeyring()
	p, dir := newProfile(t, Options{Protection: ProtectionKeyring, keyring: kr})
	alice, conv := newConversation(t, p, "@alice")
	p.SetVerification(ctx, alice, Verified)
	var ids []MessageID
	for i := 0; i < 50; i++ {
		ids = append(ids, mustInsert(t, p, Message{Conversation: conv, Direction: Incoming, Sender: alice, Body: "message number " + string(rune('a'+i%26))}))
	}
	if err := p.PutSession(ctx, alice, "dev1", []byte("ratchet-state")); err != nil {
		t.Fatal(err)
	}
	p.SetSetting(ctx, "theme", []byte("dark"))
	p.SetKTState(ctx, "sth", []byte("head"))
	p.SetDeviceKeys(ctx, DeviceKeys{Public: []byte("pub"), Private: []byte("priv")})
	p.React(ctx, ids[3], alice, "🎉")
	content := bytes.Repeat([]byte{1, 2, 3, 4, 5}, 50000)
	aid, err := p.AddAttachment(ctx, ids[0], AttachmentInfo{Name: "a.bin"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}

	backupPath := filepath.Join(dir, "backup.sotto")
	f, err := os.Create(backupPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := p.Backup(ctx, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.ReplaceAll(key, "-", "")) < 30 {
		t.Fatalf("recovery key %q too short", key)
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, ".backup-*")); len(ents) != 0 {
		t.Fatalf("snapshot left behind: %v", ents)
	}
	data, _ := os.ReadFile(backupPath)

	// Wrong recovery keys are refused and leave nothing behind.
	_, wrong, _ := newRecoveryKey()
	dst := filepath.Join(t.TempDir(), "restored")
	for _, k := range []string{wrong, "not a key"} {
		if _, err := Restore(ctx, bytes.NewReader(data), k, dst, passOpts()); !errors.Is(err, ErrWrongRecoveryKey) {
			t.Fatalf("restore with key %q: %v, want ErrWrongRecoveryKey", k, err)
		}
		if ents, _ := os.ReadDir(dst); len(ents) != 0 {
			t.Fatalf("failed restore left %v", ents)
		}
	}
	// Truncated or modified backups are refused.
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)-100],
		"modified":  flipByte(data, len(data)/2),
		"not ours":  []byte("hello"),
	} {
		if _, err := Restore(ctx, bytes.NewReader(bad), key, dst, passOpts()); !errors.Is(err, ErrCorruptBackup) {
			t.Fatalf("%s backup: %v, want ErrCorruptBackup", name, err)
		}
		if ents, _ := os.ReadDir(dst); len(ents) != 0 {
			t.Fatalf("failed restore left %v", ents)
		}
	}

	// A fresh profile, passphrase-protected this time.
	q, err := Restore(ctx, bytes.NewReader(data), key, dst, passOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.ID() == p.ID() {
		t.Fatal("restored profile reuses the original's id")
	}
	if !bytes.Equal(q.IdentityKey(), p.IdentityKey()) {
		t.Fatal("identity key differs")
	}
	c, err := q.Contact(ctx, alice)
	if err != nil || c.Handle != "@alice" || c.Verification != Verified {
		t.Fatalf("contact: %+v %v", c, err)
	}
	for _, id := range ids {
		a, _ := p.Message(ctx, id)
		b, err := q.Message(ctx, id)
		if err != nil || a.Body != b.Body || len(a.Reactions) != len(b.Reactions) {
			t.Fatalf("message %d: %+v vs %+v (%v)", id, a, b, err)
		}
	}
	if st, err := q.Session(ctx, alice, "dev1"); err != nil || string(st) != "ratchet-state" {
		t.Fatalf("session: %q %v", st, err)
	}
	if v, _ := q.Setting(ctx, "theme"); string(v) != "dark" {
		t.Fatalf("setting %q", v)
	}
	if v, _ := q.KTState(ctx, "sth"); string(v) != "head" {
		t.Fatalf("kt %q", v)
	}
	if k, _ := q.DeviceKeys(ctx); string(k.Private) != "priv" {
		t.Fatalf("device keys %+v", k)
	}
	rc, err := q.OpenAttachment(ctx, aid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("attachment: %d bytes %v", len(got), err)
	}
	if res, _ := q.Search(ctx, SearchQuery{Text: "number"}); len(res.Messages) != 20 || !res.More {
		t.Fatalf("search after restore: %d", len(res.Messages))
	}
	// Restoring over an existing profile is refused.
	if _, err := Restore(ctx, bytes.NewReader(data), key, dst, passOpts()); !errors.Is(err, ErrProfileExists) {
		t.Fatalf("restore into a used directory: %v", err)
	}
}

func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}
