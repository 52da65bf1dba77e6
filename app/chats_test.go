package app

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/app/messenger"
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
	if got := c.CheckHandleAt("carol", url); got.Availability != "available" || got.Problem != "" {
		t.Fatalf("CheckHandleAt before registering = %+v", got)
	}
	if _, err := c.Register("carol", url, pass); err != nil {
		t.Fatal(err)
	}
	if got := c.CheckHandleAt("@Carol", url); got.Availability != "taken" || got.Problem == "" {
		t.Fatalf("CheckHandleAt after registering = %+v", got)
	}
	twin := newChats(t, "carol_twin", url)
	if _, err := twin.Register("carol", url, pass); err == nil || !strings.Contains(err.Error(), "Someone already has that handle") {
		t.Fatalf("registering a taken handle: %v", err)
	}
	if got := c.CheckHandleAt("support", url); got.Availability != "reserved" {
		t.Fatalf("CheckHandleAt of a reserved handle = %+v", got)
	}
	if got := c.CheckHandleAt("someone_else", "http://127.0.0.1:1"); got.Availability != "unknown" || got.Problem != "" {
		t.Fatalf("CheckHandleAt with no relay = %+v", got)
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

// TestChatsImageThumbnail: an image sent as a file arrives with a thumbnail
// made on the receiving device; other files get none.
func TestChatsImageThumbnail(t *testing.T) {
	url := relaytest.Serve(t)
	alice := newChats(t, "alice", url)
	bob := newChats(t, "bob", url)
	for _, c := range []*Chats{alice, bob} {
		if _, err := c.Register(c.profile.String(), url, pass); err != nil {
			t.Fatal(err)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 1000, 500))
	for y := range 500 {
		for x := range 1000 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "gradient.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pngPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	txtPath := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(txtPath, []byte("not an image"), 0o600); err != nil {
		t.Fatal(err)
	}
	conv, err := alice.StartConversation("bob")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pngPath, txtPath} {
		if _, err := alice.SendFile(conv.ID, p, ""); err != nil {
			t.Fatalf("send %s: %v", p, err)
		}
	}
	var atts []AttachmentView
	for deadline := time.Now().Add(20 * time.Second); len(atts) < 2; time.Sleep(50 * time.Millisecond) {
		atts = atts[:0]
		if convs, err := bob.Conversations(); err == nil && len(convs) == 1 {
			msgs, _ := bob.Messages(convs[0].ID, 0, 10)
			for _, m := range msgs {
				a, _ := bob.Attachments(m.ID)
				atts = append(atts, a...)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob has %d attachments", len(atts))
		}
	}
	if !atts[0].Image || atts[1].Image {
		t.Fatalf("image flags: %+v", atts)
	}
	url0, err := bob.Thumbnail(atts[0].ID)
	if err != nil {
		t.Fatalf("thumbnail: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url0, "data:image/jpeg;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	th, err := jpeg.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("thumbnail is not a JPEG: %v", err)
	}
	if b := th.Bounds(); b.Dx() != 320 || b.Dy() != 160 {
		t.Fatalf("thumbnail is %v", b)
	}
	if again, err := bob.Thumbnail(atts[0].ID); err != nil || again != url0 {
		t.Fatal("second thumbnail differs (not kept)")
	}
	if _, err := bob.Thumbnail(atts[1].ID); !errors.Is(err, ErrNotAnImage) {
		t.Fatalf("thumbnail of a text file: %v", err)
	}
}

// TestRegisterReportsProofOfWork: registration tells the UI about each
// proof-of-work attempt, against the number expected, for its progress bar.
func TestRegisterReportsProofOfWork(t *testing.T) {
	url := relaytest.Serve(t)
	var mu sync.Mutex
	var seen []messenger.Event
	c := NewChats("dora", filepath.Join(t.TempDir(), "dora"), url, slog.New(slog.DiscardHandler), func(e messenger.Event) {
		mu.Lock()
		seen = append(seen, e)
		mu.Unlock()
	})
	t.Cleanup(func() { _ = CloseChats(c) })
	if _, err := c.Register("dora", "", pass); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var pow []messenger.Event
	for _, e := range seen {
		if e.Kind == messenger.EventProofOfWork {
			pow = append(pow, e)
		}
	}
	if len(pow) == 0 || pow[0].Total != 1<<relaytest.TestPow.Bits || pow[0].Done != 0 {
		t.Fatalf("proof-of-work events: %+v", pow)
	}
}

func TestStatusNamesTheRelay(t *testing.T) {
	url := relaytest.Serve(t)
	c := newChats(t, "alice", url)
	if st := c.Status(); st.Relay != "" {
		t.Fatalf("relay before sign-up: %q", st.Relay)
	}
	if _, err := c.Register("alice", url, pass); err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.Relay != url {
		t.Fatalf("relay %q, want %q", st.Relay, url)
	}
}
