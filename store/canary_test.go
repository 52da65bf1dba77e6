package store

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// canaryWord i is a word found nowhere else; all have the same length so
// none is a prefix of another.
func canaryWord(i int) string {
	return fmt.Sprintf("kanarie%c%c%c", 'a'+i/676%26, 'a'+i/26%26, 'a'+i%26)
}

// TestNoPlaintextOnDisk writes 10,000 messages (and contacts, sessions,
// keys, attachments and a backup) full of canary words, then scans every
// file under the profile directory — database, WAL, SHM, attachments,
// backup, profile.json — while open and after closing: no canary may
// appear. Search must still find every canary.
func TestNoPlaintextOnDisk(t *testing.T) {
	const (
		nMessages = 10000
		nCanaries = 100
		batch     = 1000
	)
	ctx := context.Background()
	p, dir := newProfile(t, Options{})
	canaries := []string{
		"kanariehandle", "kanariedisplayname", "kanarieidentitykey", "kanariesessionstate",
		"kanarieattachment", "kanariefilename", "kanariesetting", "kanariektstate",
		"kanariedevicepriv", "kanariedevicepub", "kanarieprekey", "kanarieemoji", "kanarieremoteid",
		"identity-private-key-0123456789abcdef", // the identity key newProfile used
	}
	for i := 0; i < nCanaries; i++ {
		canaries = append(canaries, canaryWord(i))
	}
	for _, c := range canaries {
		if !strings.HasPrefix(c, "kanarie") && c != canaries[13] {
			t.Fatalf("canary %q does not have the stem the scan looks for", c)
		}
	}
	alice, err := p.AddContact(ctx, Contact{Handle: "@kanariehandle", DisplayName: "kanariedisplayname", IdentityKey: []byte("kanarieidentitykey")})
	if err != nil {
		t.Fatal(err)
	}
	conv, _ := p.EnsureConversation(ctx, alice)
	p.PutSession(ctx, alice, "dev", []byte("kanariesessionstate"))
	p.SetSetting(ctx, "k", []byte("kanariesetting"))
	p.SetKTState(ctx, "k", []byte("kanariektstate"))
	p.SetDeviceKeys(ctx, DeviceKeys{Public: []byte("kanariedevicepub"), Private: []byte("kanariedevicepriv")})
	p.PutPrekey(ctx, PrekeyRef{Kind: OneTimePrekey, ID: 1}, []byte("kanarieprekey"))

	t0 := time.Now()
	var ids []MessageID
	for start := 0; start < nMessages; start += batch {
		ms := make([]Message, 0, batch)
		for i := start; i < start+batch; i++ {
			ms = append(ms, Message{Conversation: conv.ID, Direction: Incoming, Sender: alice,
				RemoteID: []byte(fmt.Sprint("kanarieremoteid", i)),
				Body:     fmt.Sprintf("%s l'%s n%d", canaryWord(i%nCanaries), strings.ToUpper(canaryWord((i+1)%nCanaries)), i)})
		}
		got, err := p.InsertMessages(ctx, ms)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	t.Logf("inserted %d messages in %v", nMessages, time.Since(t0))
	p.React(ctx, ids[0], alice, "kanarieemoji")
	for i := 0; i < 5; i++ {
		content := strings.Repeat("kanarieattachment ", 5000)
		if _, err := p.AddAttachment(ctx, ids[i], AttachmentInfo{Name: "kanariefilename.txt"}, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	// The protocol data of a file being sent (its transfer key) is sealed too.
	if as, err := p.Attachments(ctx, ids[0]); err != nil || len(as) != 1 {
		t.Fatalf("attachments: %v %v", as, err)
	} else if err := p.SetAttachmentRemote(ctx, as[0].ID, []byte("kanarieremotepointer")); err != nil {
		t.Fatal(err)
	}
	// Deleted and edited text must not linger either.
	if err := p.EditMessage(ctx, ids[1], "kanarieedited replaced "+canaryWord(1)+" "+canaryWord(2)); err != nil {
		t.Fatal(err)
	}
	canaries = append(canaries, "kanarieedited")
	f, err := os.Create(filepath.Join(dir, "backup.sotto"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Backup(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.Close()

	scan := func(when string) {
		t.Helper()
		seen := map[string]bool{}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			seen[filepath.Base(path)] = true
			// Every canary but the identity key starts with "kanarie": look
			// for that stem (in both cases used) instead of each canary.
			for _, c := range []string{"kanarie", "KANARIE", "Kanarie", canaries[13]} {
				if i := bytes.Index(b, []byte(c)); i >= 0 {
					t.Errorf("%s: canary %q in %s at offset %d", when, b[i:min(i+20, len(b))], path, i)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, must := range []string{dbFileName, profileFileName, "backup.sotto"} {
			if !seen[must] {
				t.Fatalf("%s: %s not scanned", when, must)
			}
		}
		t.Logf("%s: scanned %d files", when, len(seen))
	}
	// While open the WAL and SHM files exist and are scanned too.
	if _, err := os.Stat(filepath.Join(dir, dbFileName+"-wal")); err != nil {
		t.Fatalf("no WAL while open: %v", err)
	}
	t0 = time.Now()
	scan("open")
	p.Close()
	scan("closed")

	t.Logf("scans, close: %v", time.Since(t0))
	t0 = time.Now()
	p, err = Open(ctx, dir, Options{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer func() { t.Logf("searches: %v", time.Since(t0)) }()
	for i := 0; i < nCanaries; i++ {
		// Each canary is in messages i, i+100, ... and, as the second word,
		// in i-1, i+99, ...: 200 messages (upper-case query, prefix query).
		q := strings.ToUpper(canaryWord(i))
		if i%2 == 1 {
			q = canaryWord(i)[:len(canaryWord(i))-1] + " " + canaryWord(i)
		}
		res, err := p.Search(ctx, SearchQuery{Text: q, Limit: 1})
		if err != nil || len(res.Messages) != 1 || !strings.Contains(strings.ToLower(res.Messages[0].Body), canaryWord(i)) {
			t.Fatalf("search %q: %+v %v", q, res, err)
		}
		var n int
		if err := p.db.QueryRow(`SELECT count(*) FROM search_index WHERE token = ?`, searchToken(p.keys, canaryWord(i))).Scan(&n); err != nil || n != 2*nMessages/nCanaries {
			t.Fatalf("canary %d indexed in %d messages, want %d", i, n, 2*nMessages/nCanaries)
		}
	}
	if res, _ := p.Search(ctx, SearchQuery{Text: "kanarieedited"}); len(res.Messages) != 1 {
		t.Fatalf("edited canary: %d results", len(res.Messages))
	}
}
