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
	"time"
)

func TestContactsAndVerification(t *testing.T) {
	ctx := context.Background()
	p, _ := newProfile(t, Options{})
	id, err := p.AddContact(ctx, Contact{Handle: "@carol", DisplayName: "Carol", IdentityKey: []byte("ik1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddContact(ctx, Contact{Handle: "@carol"}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate handle: %v", err)
	}
	c, err := p.ContactByHandle(ctx, "@carol")
	if err != nil || c.ID != id || c.DisplayName != "Carol" || c.Verification != Unverified || string(c.IdentityKey) != "ik1" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := p.ContactByHandle(ctx, "@nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown handle: %v", err)
	}
	if err := p.SetVerification(ctx, id, Verified); err != nil {
		t.Fatal(err)
	}
	if changed, err := p.SetIdentityKey(ctx, id, []byte("ik1")); err != nil || changed {
		t.Fatalf("same key: %v %v", changed, err)
	}
	if changed, err := p.SetIdentityKey(ctx, id, []byte("ik2")); err != nil || !changed {
		t.Fatalf("new key: %v %v", changed, err)
	}
	c, _ = p.Contact(ctx, id)
	if c.Verification != KeyChanged || string(c.IdentityKey) != "ik2" {
		t.Fatalf("after key change: %+v", c)
	}
	if err := p.SetDisplayName(ctx, id, "Caro"); err != nil {
		t.Fatal(err)
	}
	p.AddContact(ctx, Contact{Handle: "@abe"})
	all, err := p.Contacts(ctx)
	if err != nil || len(all) != 2 || all[0].Handle != "@abe" || all[1].DisplayName != "Caro" {
		t.Fatalf("Contacts: %+v %v", all, err)
	}
}

func TestConversationsReactionsRecords(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	p, _ := newProfile(t, Options{Now: clk.Now})
	alice, c1 := newConversation(t, p, "@alice")
	_, c2 := newConversation(t, p, "@bob")
	again, err := p.EnsureConversation(ctx, alice)
	if err != nil || again.ID != c1 {
		t.Fatalf("EnsureConversation twice: %+v %v", again, err)
	}
	m1 := mustInsert(t, p, Message{Conversation: c1, Body: "one", SentAt: clk.Now().Add(time.Minute)})
	m2 := mustInsert(t, p, Message{Conversation: c2, Body: "two", SentAt: clk.Now().Add(2 * time.Minute), ReplyTo: 0})
	m3 := mustInsert(t, p, Message{Conversation: c1, Body: "three", SentAt: clk.Now().Add(3 * time.Minute), ReplyTo: m1})
	convs, _ := p.Conversations(ctx)
	if len(convs) != 2 || convs[0].ID != c1 {
		t.Fatalf("conversations by activity: %+v", convs)
	}
	if err := p.SetConversationSettings(ctx, c1, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	cv, _ := p.Conversation(ctx, c1)
	if cv.DisappearAfter != time.Hour || !cv.Muted {
		t.Fatalf("settings: %+v", cv)
	}
	// Paging through a conversation.
	page, _ := p.Messages(ctx, c1, 0, 1)
	if len(page) != 1 || page[0].ID != m3 || page[0].ReplyTo != m1 {
		t.Fatalf("page 1: %+v", page)
	}
	page, _ = p.Messages(ctx, c1, m3, 10)
	if len(page) != 1 || page[0].ID != m1 {
		t.Fatalf("page 2: %+v", page)
	}
	// Reactions: one per sender, replaced, removed.
	p.React(ctx, m1, alice, "👍")
	p.React(ctx, m1, 0, "❤️")
	p.React(ctx, m1, alice, "😂")
	m, _ := p.Message(ctx, m1)
	if len(m.Reactions) != 2 {
		t.Fatalf("reactions: %+v", m.Reactions)
	}
	for _, r := range m.Reactions {
		if r.Sender == alice && r.Emoji != "😂" {
			t.Fatalf("reaction not replaced: %+v", r)
		}
	}
	p.React(ctx, m1, 0, "")
	if m, _ = p.Message(ctx, m1); len(m.Reactions) != 1 {
		t.Fatalf("reaction not removed: %+v", m.Reactions)
	}
	if err := p.SetStatus(ctx, m2, StatusRead); err != nil {
		t.Fatal(err)
	}
	if m, _ = p.Message(ctx, m2); m.Status != StatusRead {
		t.Fatalf("status %v", m.Status)
	}
	// Deleting a message clears replies to it.
	if err := p.DeleteMessage(ctx, m1); err != nil {
		t.Fatal(err)
	}
	if m, _ = p.Message(ctx, m3); m.ReplyTo != 0 {
		t.Fatalf("reply_to not cleared: %d", m.ReplyTo)
	}
	if err := p.DeleteMessage(ctx, m1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := p.DeleteConversation(ctx, c1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Message(ctx, m3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("message of deleted conversation: %v", err)
	}

	// Settings, KT state, device keys, prekeys, call log.
	if _, err := p.Setting(ctx, "theme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unset setting: %v", err)
	}
	p.SetSetting(ctx, "theme", []byte("dark"))
	p.SetSetting(ctx, "theme", []byte("light"))
	if v, err := p.Setting(ctx, "theme"); err != nil || string(v) != "light" {
		t.Fatalf("setting: %q %v", v, err)
	}
	p.DeleteSetting(ctx, "theme")
	if _, err := p.Setting(ctx, "theme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted setting: %v", err)
	}
	p.SetKTState(ctx, "tree-head", []byte("sth-1"))
	if v, err := p.KTState(ctx, "tree-head"); err != nil || string(v) != "sth-1" {
		t.Fatalf("kt: %q %v", v, err)
	}
	if _, err := p.DeviceKeys(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no device keys yet: %v", err)
	}
	p.SetDeviceKeys(ctx, DeviceKeys{Public: []byte("pub"), Private: []byte("priv")})
	if k, err := p.DeviceKeys(ctx); err != nil || string(k.Private) != "priv" || string(k.Public) != "pub" {
		t.Fatalf("device keys: %+v %v", k, err)
	}
	for i := uint32(1); i <= 3; i++ {
		p.PutPrekey(ctx, PrekeyRef{Kind: OneTimePrekey, ID: i}, []byte{byte(i)})
	}
	p.PutPrekey(ctx, PrekeyRef{Kind: SignedPrekey, ID: 1}, []byte("spk"))
	if n, _ := p.CountPrekeys(ctx, OneTimePrekey); n != 3 {
		t.Fatalf("prekeys: %d", n)
	}
	if k, _ := p.Prekey(ctx, PrekeyRef{Kind: SignedPrekey, ID: 1}); string(k) != "spk" {
		t.Fatalf("signed prekey %q", k)
	}
	p.DeletePrekey(ctx, PrekeyRef{Kind: OneTimePrekey, ID: 2})
	if n, _ := p.CountPrekeys(ctx, OneTimePrekey); n != 2 {
		t.Fatalf("prekeys after delete: %d", n)
	}
	p.AddCall(ctx, CallRecord{Contact: alice, Direction: Outgoing, Video: true, Outcome: CallAnswered, StartedAt: clk.Now(), EndedAt: clk.Now().Add(time.Minute)})
	p.AddCall(ctx, CallRecord{Direction: Incoming, Outcome: CallMissed, StartedAt: clk.Now().Add(time.Hour)})
	calls, err := p.Calls(ctx, 10)
	if err != nil || len(calls) != 2 || calls[0].Outcome != CallMissed || !calls[1].Video || calls[1].Contact != alice {
		t.Fatalf("calls: %+v %v", calls, err)
	}
}

func TestAttachmentsAndExpiry(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	p, dir := newProfile(t, Options{Now: clk.Now})
	_, conv := newConversation(t, p, "@alice")
	keep := mustInsert(t, p, Message{Conversation: conv, Body: "keeper"})
	gone := mustInsert(t, p, Message{Conversation: conv, Body: "ephemeral words", ExpiresAt: clk.Now().Add(time.Hour)})
	content := bytes.Repeat([]byte("attachment content "), 10000) // > 2 chunks
	aid, err := p.AddAttachment(ctx, gone, AttachmentInfo{Name: "photo.jpg", MIME: "image/jpeg"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddAttachment(ctx, keep, AttachmentInfo{Name: "empty"}, bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	list, err := p.Attachments(ctx, gone)
	if err != nil || len(list) != 1 || list[0].Size != int64(len(content)) || list[0].Name != "photo.jpg" {
		t.Fatalf("attachments: %+v %v", list, err)
	}
	rc, err := p.OpenAttachment(ctx, aid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("attachment read back: %d bytes, %v", len(got), err)
	}
	files := func() int {
		ents, _ := os.ReadDir(filepath.Join(dir, attachmentsDir))
		return len(ents)
	}
	if files() != 2 {
		t.Fatalf("%d attachment files", files())
	}
	// A modified file fails to read.
	path := attachmentPath(dir, mustFileID(t, p, aid))
	b, _ := os.ReadFile(path)
	b[100] ^= 1
	os.WriteFile(path, b, 0o600)
	rc, _ = p.OpenAttachment(ctx, aid)
	if _, err := io.ReadAll(rc); !errors.Is(err, ErrTampered) {
		t.Fatalf("modified attachment: %v", err)
	}
	rc.Close()

	// Expiry while the profile is closed: purged on open.
	p.Close()
	clk.Add(2 * time.Hour)
	p, err = Open(ctx, dir, Options{Passphrase: testPass, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var n int
	p.db.QueryRow(`SELECT count(*) FROM messages WHERE id = ?`, int64(gone)).Scan(&n)
	if n != 0 {
		t.Fatal("expired message still in the database after open")
	}
	p.db.QueryRow(`SELECT count(*) FROM attachments WHERE message_id = ?`, int64(gone)).Scan(&n)
	if n != 0 {
		t.Fatal("expired message's attachment row left")
	}
	if files() != 1 {
		t.Fatalf("attachment file of an expired message left: %d files", files())
	}
	if _, err := p.Message(ctx, keep); err != nil {
		t.Fatalf("unexpired message: %v", err)
	}
}

func mustFileID(t *testing.T, p *Profile, id AttachmentID) string {
	var f string
	if err := p.db.QueryRow(`SELECT file_id FROM attachments WHERE id = ?`, int64(id)).Scan(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestExpiryTimer(t *testing.T) {
	ctx := context.Background()
	p, dir := newProfile(t, Options{}) // real clock
	_, conv := newConversation(t, p, "@alice")
	id := mustInsert(t, p, Message{Conversation: conv, Body: "self destruct", ExpiresAt: time.Now().Add(300 * time.Millisecond)})
	if _, err := p.AddAttachment(ctx, id, AttachmentInfo{Name: "f"}, strings.NewReader("file")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		p.db.QueryRow(`SELECT count(*) FROM messages`).Scan(&n)
		ents, _ := os.ReadDir(filepath.Join(dir, attachmentsDir))
		if n == 0 && len(ents) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timer did not purge: %d rows, %d files", n, len(ents))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOrphanFilesSwept(t *testing.T) {
	ctx := context.Background()
	p, dir := newProfile(t, Options{})
	p.Close()
	orphan := filepath.Join(dir, attachmentsDir, strings.Repeat("ab", 16)+attachmentExt)
	tmp := filepath.Join(dir, attachmentsDir, strings.Repeat("cd", 16)+attachmentTmpExt)
	foreign := filepath.Join(dir, attachmentsDir, "notes.txt")
	for _, f := range []string{orphan, tmp, foreign} {
		os.WriteFile(f, []byte("x"), 0o600)
	}
	p, err := Open(ctx, dir, Options{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	for _, f := range []string{orphan, tmp} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("orphan %s not removed", filepath.Base(f))
		}
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Error("a file the store did not write was removed")
	}
}

// TestDeletedCiphertextLeavesNoTrace: after an expiry purge, a delete or an
// edit, the old ciphertext is in no file of the profile (secure_delete
// zeroes it in the database, the checkpoint empties the WAL).
func TestDeletedCiphertextLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	p, dir := newProfile(t, Options{Now: clk.Now, manualExpiry: true}) // it counts what the purge removes
	_, conv := newConversation(t, p, "@alice")
	var filler []Message
	for i := 0; i < 200; i++ {
		filler = append(filler, Message{Conversation: conv, Body: strings.Repeat("filler ", 20)})
	}
	if _, err := p.InsertMessages(ctx, filler); err != nil {
		t.Fatal(err)
	}
	expiring := mustInsert(t, p, Message{Conversation: conv, Body: strings.Repeat("expiring ", 30), ExpiresAt: clk.Now().Add(time.Minute)})
	deleted := mustInsert(t, p, Message{Conversation: conv, Body: strings.Repeat("deleted ", 30)})
	edited := mustInsert(t, p, Message{Conversation: conv, Body: strings.Repeat("before edit ", 30)})
	var cts [][]byte
	for _, id := range []MessageID{expiring, deleted, edited} {
		var ct []byte
		if err := p.db.QueryRow(`SELECT body FROM messages WHERE id = ?`, int64(id)).Scan(&ct); err != nil {
			t.Fatal(err)
		}
		cts = append(cts, ct[1:41]) // nonce and the start of the sealed body
	}
	clk.Add(time.Hour)
	if n, err := p.PurgeExpired(ctx); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if err := p.DeleteMessage(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	if err := p.EditMessage(ctx, edited, "after"); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, ct := range cts {
			if bytes.Contains(b, ct) {
				t.Errorf("ciphertext %d still in %s", i, filepath.Base(path))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCallEntryInConversation(t *testing.T) {
	ctx := context.Background()
	p, _ := newProfile(t, Options{})
	_, conv := newConversation(t, p, "@alice")
	id := mustInsert(t, p, Message{Conversation: conv, Direction: Outgoing, Status: StatusSent,
		Call: &CallEntry{Video: true, Outcome: CallAnswered, Seconds: 75}})
	if err := p.SetStatus(ctx, id, StatusRead); err != nil {
		t.Fatal(err)
	}
	m, err := p.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Call == nil || *m.Call != (CallEntry{Video: true, Outcome: CallAnswered, Seconds: 75}) || m.Status != StatusRead || m.Body != "" {
		t.Fatalf("call entry after a status change: %+v %+v", m, m.Call)
	}
	plain := mustInsert(t, p, Message{Conversation: conv, Body: "hi"})
	if m, _ := p.Message(ctx, plain); m.Call != nil {
		t.Fatalf("a text message reads back as a call: %+v", m.Call)
	}
}
