package messenger

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/store"
)

// gatedRelay is a real relay behind a network the test steers: uploads cut
// mid-way (the connection closes after half the body) or refused, message
// sends refused, and a count of the uploads that reached the relay whole.
type gatedRelay struct {
	url string

	mu          sync.Mutex
	passUploads int  // uploads let through before the next cut
	cutUploads  int  // uploads still to cut mid-way
	failUploads bool // refuse every upload
	failSends   int  // message sends still to refuse
	failPrekeys bool // refuse prekey uploads
	uploads     int  // uploads the relay stored
}

func (g *gatedRelay) set(f func(g *gatedRelay)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(g)
}

func (g *gatedRelay) uploaded() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.uploads
}

// startGatedRelay runs the relay with clock now (nil: the real one); its
// auth tokens live long, so tests may move the clock by weeks.
func startGatedRelay(t *testing.T, now func() time.Time) *gatedRelay {
	t.Helper()
	st := relaytest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
	srv, err := relay.New(relay.Config{Store: st, Pow: relaytest.TestPow, Now: now, TokenTTL: 1000 * 24 * time.Hour,
		Limits: relay.Limits{MaxConns: 100, MaxConnsPerIP: 100}})
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedRelay{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upload := r.Method == http.MethodPost && r.URL.Path == "/v1/attachments"
		send := r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/messages/")
		g.mu.Lock()
		cut, refuse := false, false
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/v1/prekeys" && g.failPrekeys:
			refuse = true
		case upload && g.failUploads:
			refuse = true
		case upload && g.cutUploads > 0 && g.passUploads == 0:
			g.cutUploads--
			cut = true
		case upload && g.passUploads > 0:
			g.passUploads--
		case send && g.failSends > 0:
			g.failSends--
			refuse = true
		}
		g.mu.Unlock()
		switch {
		case cut:
			_, _ = io.CopyN(io.Discard, r.Body, r.ContentLength/2)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case refuse:
			_, _ = io.Copy(io.Discard, r.Body)
			http.Error(w, "network fault", http.StatusBadGateway)
			return
		}
		if !upload {
			srv.ServeHTTP(w, r) // WebSockets too: w must stay a Hijacker
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		srv.ServeHTTP(rec, r)
		if rec.status == http.StatusOK {
			g.mu.Lock()
			g.uploads++
			g.mu.Unlock()
		}
	}))
	g.url = hs.URL
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return g
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func randomFile(t *testing.T, n int) ([]byte, [32]byte) {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b, sha256.Sum256(b)
}

// waitMessages waits until p's history with `with` holds n messages and
// every one satisfies ok, and returns it.
func waitMessages(t *testing.T, p *peer, with string, n int, ok func(store.Message) bool) []store.Message {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var h []store.Message
		if _, err := p.m.Store().ContactByHandle(context.Background(), with); err == nil {
			h = p.history(t, with)
		}
		good := len(h) == n
		for _, m := range h {
			good = good && ok(m)
		}
		if good {
			return h
		}
		if len(h) > n || time.Now().After(deadline) {
			t.Fatalf("%s's history with %s: %d messages, want %d: %+v", p.m.Handle(), with, len(h), n, h)
		}
	}
}

// receivedFile waits until p has a file message captioned caption from
// `from`, checks that there is exactly one and that its file has the
// SHA-256 want.
func receivedFile(t *testing.T, p *peer, from, caption string, want [32]byte) {
	t.Helper()
	ctx := context.Background()
	find := func() []store.Message {
		var out []store.Message
		if _, err := p.m.Store().ContactByHandle(ctx, from); err != nil {
			return nil
		}
		for _, m := range p.history(t, from) {
			if m.Body == caption {
				out = append(out, m)
			}
		}
		return out
	}
	var files []store.AttachmentInfo
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ms := find(); len(ms) > 0 {
			if files, _ = p.m.Store().Attachments(ctx, ms[0].ID); len(files) == 1 {
				if !ms[0].File {
					t.Fatalf("%q arrived, not as a file message", caption)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no file %q from %s", p.m.Handle(), caption, from)
		}
	}
	if !bytes.Equal(files[0].SHA256, want[:]) {
		t.Fatalf("received file %q: digest differs from the one sent", caption)
	}
	rc, err := p.m.Store().OpenAttachment(ctx, files[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	d := sha256.New()
	if _, err := io.Copy(d, rc); err != nil || !bytes.Equal(d.Sum(nil), want[:]) {
		t.Fatalf("received file %q does not read back as sent (%v)", caption, err)
	}
	// Still one a moment later: no second copy from a retry.
	time.Sleep(200 * time.Millisecond)
	if n := len(find()); n != 1 {
		t.Fatalf("%q received %d times", caption, n)
	}
}

// waitSent waits until the sender's message id is acknowledged and, for a
// file, its pointer (with the file's key) is no longer kept.
func waitSent(t *testing.T, p *peer, id store.MessageID) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m, err := p.m.Store().Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == store.StatusSent || m.Status == store.StatusDelivered || m.Status == store.StatusRead {
			if m.File {
				files, err := p.m.Store().Attachments(ctx, id)
				if err != nil || len(files) != 1 || files[0].Remote != nil {
					t.Fatalf("sender's file after sending: %+v %v", files, err)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d is still %v", id, m.Status)
		}
	}
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	d  time.Duration // added to the real time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

func (c *testClock) Set(d time.Duration) {
	c.mu.Lock()
	c.d = d
	c.mu.Unlock()
}

// TestFileSendFailuresAreRetried runs one pair of accounts through the ways
// a file send fails. Each time the message stays in the chat (pending, with
// its local copy), is sent again under the same id and arrives once, with
// the digest it was sent with:
//   - the connection drops in the middle of the second of two blobs: the
//     outbox uploads the copy again;
//   - the upload succeeds and the sends fail: the outbox sends the kept
//     pointer, uploading nothing again;
//   - the upload fails and the sender quits: the next start sends it;
//   - the kept pointer's blobs expired at the relay: the retry uploads again;
//   - the sends fail for a day: text and file are marked failed, and Retry
//     sends each.
func TestFileSendFailuresAreRetried(t *testing.T) {
	ctx := context.Background()
	g := startGatedRelay(t, nil)
	clock := &testClock{}
	alice := newPeerAt(t, g.url, "alice", clock.Now)
	bob := newPeer(t, g.url, "bob")
	bobH := handle.MustParse("bob")
	uploads := func(want int) {
		t.Helper()
		if n := g.uploaded(); n != want {
			t.Fatalf("%d uploads reached the relay, want %d", n, want)
		}
	}

	// An upload cut mid-way.
	data, want := randomFile(t, blobSize+blobSize/8) // two blobs
	g.set(func(g *gatedRelay) { g.passUploads, g.cutUploads = 1, 1 })
	row, err := alice.m.SendFile(ctx, bobH, "report.pdf", "application/pdf", bytes.NewReader(data), int64(len(data)), "cut", nil)
	if err == nil || row.ID == 0 || row.Status != store.StatusPending {
		t.Fatalf("cut upload: row %+v, err %v", row, err)
	}
	receivedFile(t, bob, "alice", "cut", want)
	waitSent(t, alice, row.ID)
	uploads(3) // one blob before the cut, then both again from the copy
	alice.waitFor("progress of the second upload", func(e Event) bool {
		return e.Kind == EventProgress && e.Message == row.ID && e.Done == e.Total
	})

	// A delivery failure after the upload.
	data, want = randomFile(t, 100<<10)
	g.set(func(g *gatedRelay) { g.failSends = 2 })
	row, err = alice.m.SendFile(ctx, bobH, "photo.jpg", "image/jpeg", bytes.NewReader(data), int64(len(data)), "undelivered", nil)
	if err == nil || row.ID == 0 || row.Status != store.StatusPending {
		t.Fatalf("failed delivery: row %+v, err %v", row, err)
	}
	receivedFile(t, bob, "alice", "undelivered", want)
	waitSent(t, alice, row.ID)
	uploads(4) // a delivery retry does not upload again

	// A failed upload, then a restart of the sender.
	data, want = randomFile(t, 300<<10)
	g.set(func(g *gatedRelay) { g.failUploads = true })
	row, err = alice.m.SendFile(ctx, bobH, "notes.txt", "text/plain", bytes.NewReader(data), int64(len(data)), "restart", nil)
	if err == nil || row.ID == 0 {
		t.Fatalf("refused upload: row %+v, err %v", row, err)
	}
	alice.stop()
	g.set(func(g *gatedRelay) { g.failUploads = false })
	alice.reopen()
	receivedFile(t, bob, "alice", "restart", want)
	waitSent(t, alice, row.ID)
	uploads(5)

	// The kept pointer's blobs expired.
	data, want = randomFile(t, 64<<10)
	g.set(func(g *gatedRelay) { g.failSends = 1 << 20 })
	row, err = alice.m.SendFile(ctx, bobH, "a.bin", "application/octet-stream", bytes.NewReader(data), int64(len(data)), "expired", nil)
	if err == nil || row.ID == 0 {
		t.Fatalf("failed delivery: row %+v, err %v", row, err)
	}
	for !alice.m.claim(row.ID) { // the outbox leaves it alone while it is aged
		time.Sleep(10 * time.Millisecond)
	}
	files, err := alice.m.Store().Attachments(ctx, row.ID)
	if err != nil || len(files) != 1 || files[0].Remote == nil {
		t.Fatalf("kept pointer: %+v %v", files, err)
	}
	ptr, err := parseFilePointer(files[0].Remote)
	if err != nil {
		t.Fatal(err)
	}
	ptr.Expires = time.Now().Add(-time.Hour)
	ptr.Blobs = []string{"00000000000000000000000000000000"} // gone: the relay would answer not found
	if err := alice.m.Store().SetAttachmentRemote(ctx, files[0].ID, ptr.marshal()); err != nil {
		t.Fatal(err)
	}
	g.set(func(g *gatedRelay) { g.failSends = 0 })
	alice.m.release(row.ID)
	if err := alice.m.Retry(ctx, row.ID); err != nil {
		t.Fatal(err)
	}
	receivedFile(t, bob, "alice", "expired", want)
	waitSent(t, alice, row.ID)
	uploads(7)

	// A day of failures: failed, then Retry.
	data, want = randomFile(t, 32<<10)
	g.set(func(g *gatedRelay) { g.failSends = 1 << 20 })
	text, err := alice.m.SendText(ctx, bobH, "still there?", 0)
	if err == nil || text.Status != store.StatusPending {
		t.Fatalf("text: %+v %v", text, err)
	}
	file, err := alice.m.SendFile(ctx, bobH, "b.bin", "application/octet-stream", bytes.NewReader(data), int64(len(data)), "given up", nil)
	if err == nil || file.Status != store.StatusPending {
		t.Fatalf("file: %+v %v", file, err)
	}
	clock.Set(outboxGiveUp + time.Hour)
	alice.m.kickOutbox()
	for _, id := range []store.MessageID{text.ID, file.ID} {
		alice.waitFor("failed", func(e Event) bool { return e.Kind == EventStatus && e.Message == id && e.Status == "failed" })
	}
	if err := alice.m.Retry(ctx, 999999); !errors.Is(err, ErrNoSuchMessage) {
		t.Fatalf("retry of no message: %v", err)
	}
	clock.Set(0)
	g.set(func(g *gatedRelay) { g.failSends = 0 })
	for _, id := range []store.MessageID{text.ID, file.ID} {
		if err := alice.m.Retry(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	receivedFile(t, bob, "alice", "given up", want)
	waitSent(t, alice, file.ID)
	waitSent(t, alice, text.ID)
	n := 0
	for _, m := range bob.history(t, "alice") {
		if m.Body == "still there?" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the retried text arrived %d times", n)
	}
	incoming := bob.history(t, "alice")[0].ID
	if err := bob.m.Retry(ctx, incoming); !errors.Is(err, ErrNoSuchMessage) {
		t.Fatalf("retry of an incoming message: %v", err)
	}
}

// TestFileMessageWithoutCopyIsRemoved: a file message whose copy was never
// kept (the app stopped mid-send) is not sent as text: the outbox removes it.
func TestFileMessageWithoutCopyIsRemoved(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "first", 0); err != nil {
		t.Fatal(err)
	}
	conv := alice.history(t, "bob")[0].Conversation
	id, err := alice.m.Store().InsertMessage(ctx, store.Message{Conversation: conv, Direction: store.Outgoing,
		Status: store.StatusPending, Body: "caption of a lost file", File: true, RemoteID: bytes.Repeat([]byte{7}, 16)})
	if err != nil {
		t.Fatal(err)
	}
	alice.m.kickOutbox()
	alice.waitFor("removal", func(e Event) bool { return e.Kind == EventUpdated && e.Message == id })
	if _, err := alice.m.Store().Message(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("file message without its file: %v", err)
	}
	waitMessages(t, bob, "alice", 1, func(m store.Message) bool { return m.Body == "first" })
	time.Sleep(200 * time.Millisecond)
	if h := bob.history(t, "alice"); len(h) != 1 {
		t.Fatalf("bob got %q", bodies(h))
	}
}
