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

// checkReceivedFile checks that p received exactly one file message, with
// the content whose SHA-256 is want.
func checkReceivedFile(t *testing.T, p *peer, from, caption string, want [32]byte) {
	t.Helper()
	ctx := context.Background()
	var files []store.AttachmentInfo
	h := waitMessages(t, p, from, 1, func(m store.Message) bool {
		files, _ = p.m.Store().Attachments(ctx, m.ID)
		return len(files) == 1
	})
	if h[0].Body != caption || !h[0].File {
		t.Fatalf("received %q (file %v)", h[0].Body, h[0].File)
	}
	if !bytes.Equal(files[0].SHA256, want[:]) {
		t.Fatal("received file's digest differs from the one sent")
	}
	rc, err := p.m.Store().OpenAttachment(ctx, files[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	d := sha256.New()
	if _, err := io.Copy(d, rc); err != nil || !bytes.Equal(d.Sum(nil), want[:]) {
		t.Fatalf("received file does not read back as sent (%v)", err)
	}
	// Still one message a moment later: no second copy from a retry.
	time.Sleep(200 * time.Millisecond)
	if n := len(p.history(t, from)); n != 1 {
		t.Fatalf("%d messages received, want 1", n)
	}
}

// waitSent waits until the sender's file message is acknowledged and its
// pointer (with the file's key) is no longer kept.
func waitSent(t *testing.T, p *peer, to string) store.Message {
	t.Helper()
	h := waitMessages(t, p, to, 1, func(m store.Message) bool { return m.Status >= store.StatusSent && m.Status != store.StatusFailed })
	if h[0].File {
		files, err := p.m.Store().Attachments(context.Background(), h[0].ID)
		if err != nil || len(files) != 1 || files[0].Remote != nil {
			t.Fatalf("sender's file after sending: %+v %v", files, err)
		}
	}
	return h[0]
}

// TestFileUploadCutMidwayIsRetried: the connection drops in the middle of
// the second of two blobs. The message stays, pending, with its local copy;
// the outbox uploads the copy again and it arrives once, intact.
func TestFileUploadCutMidwayIsRetried(t *testing.T) {
	ctx := context.Background()
	g := startGatedRelay(t, nil)
	alice := newPeer(t, g.url, "alice")
	bob := newPeer(t, g.url, "bob")
	data, want := randomFile(t, blobSize+blobSize/8) // two blobs
	g.set(func(g *gatedRelay) { g.passUploads, g.cutUploads = 1, 1 })

	row, err := alice.m.SendFile(ctx, handle.MustParse("bob"), "report.pdf", "application/pdf",
		bytes.NewReader(data), int64(len(data)), "the report", nil)
	if err == nil || row.ID == 0 || row.Status != store.StatusPending {
		t.Fatalf("cut upload: row %+v, err %v", row, err)
	}
	checkReceivedFile(t, bob, "alice", "the report", want)
	waitSent(t, alice, "bob")
	// One blob before the cut, then both again from the copy.
	if n := g.uploaded(); n != 3 {
		t.Fatalf("%d uploads reached the relay, want 3", n)
	}
	alice.waitFor("progress of the second upload", func(e Event) bool {
		return e.Kind == EventProgress && e.Message == row.ID && e.Done == e.Total
	})
}

// TestFileDeliveryFailureIsRetriedWithoutUpload: the upload succeeds, the
// sends fail twice; the outbox sends the kept pointer, and nothing is
// uploaded again.
func TestFileDeliveryFailureIsRetriedWithoutUpload(t *testing.T) {
	ctx := context.Background()
	g := startGatedRelay(t, nil)
	alice := newPeer(t, g.url, "alice")
	bob := newPeer(t, g.url, "bob")
	data, want := randomFile(t, 100<<10)
	g.set(func(g *gatedRelay) { g.failSends = 2 })

	row, err := alice.m.SendFile(ctx, handle.MustParse("bob"), "photo.jpg", "image/jpeg",
		bytes.NewReader(data), int64(len(data)), "", nil)
	if err == nil || row.ID == 0 || row.Status != store.StatusPending {
		t.Fatalf("failed delivery: row %+v, err %v", row, err)
	}
	checkReceivedFile(t, bob, "alice", "", want)
	waitSent(t, alice, "bob")
	if n := g.uploaded(); n != 1 {
		t.Fatalf("%d uploads, want 1 (a delivery retry must not upload again)", n)
	}
}

// TestFileSentAfterSenderRestart: the upload fails, the sender quits; at the
// next start the outbox uploads the kept copy and sends it.
func TestFileSentAfterSenderRestart(t *testing.T) {
	ctx := context.Background()
	g := startGatedRelay(t, nil)
	alice := newPeer(t, g.url, "alice")
	bob := newPeer(t, g.url, "bob")
	data, want := randomFile(t, 300<<10)
	g.set(func(g *gatedRelay) { g.failUploads = true })

	row, err := alice.m.SendFile(ctx, handle.MustParse("bob"), "notes.txt", "text/plain",
		bytes.NewReader(data), int64(len(data)), "notes", nil)
	if err == nil || row.ID == 0 {
		t.Fatalf("refused upload: row %+v, err %v", row, err)
	}
	alice.stop()
	g.set(func(g *gatedRelay) { g.failUploads = false })
	alice.reopen()
	checkReceivedFile(t, bob, "alice", "notes", want)
	waitSent(t, alice, "bob")
	if n := g.uploaded(); n != 1 {
		t.Fatalf("%d uploads, want 1", n)
	}
}

// TestFileExpiredPointerIsUploadedAgain: the kept pointer's blobs are gone
// from the relay (expired); the retry uploads the copy again instead of
// sending a pointer to nothing.
func TestFileExpiredPointerIsUploadedAgain(t *testing.T) {
	ctx := context.Background()
	g := startGatedRelay(t, nil)
	alice := newPeer(t, g.url, "alice")
	bob := newPeer(t, g.url, "bob")
	data, want := randomFile(t, 64<<10)
	g.set(func(g *gatedRelay) { g.failSends = 1 << 20 })
	row, err := alice.m.SendFile(ctx, handle.MustParse("bob"), "a.bin", "application/octet-stream",
		bytes.NewReader(data), int64(len(data)), "", nil)
	if err == nil || row.ID == 0 {
		t.Fatalf("failed delivery: row %+v, err %v", row, err)
	}
	// Hold the message (the outbox skips it) while its pointer is aged.
	for !alice.m.claim(row.ID) {
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
	ptr.Blobs = []string{"00000000000000000000000000000000"} // what the relay would answer: not found
	if err := alice.m.Store().SetAttachmentRemote(ctx, files[0].ID, ptr.marshal()); err != nil {
		t.Fatal(err)
	}
	g.set(func(g *gatedRelay) { g.failSends = 0 })
	alice.m.release(row.ID)
	if err := alice.m.Retry(ctx, row.ID); err != nil {
		t.Fatal(err)
	}
	checkReceivedFile(t, bob, "alice", "", want)
	waitSent(t, alice, "bob")
	if n := g.uploaded(); n != 2 {
		t.Fatalf("%d uploads, want 2 (the expired blobs uploaded again)", n)
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

// TestRetryFailedMessages: messages the outbox gave up on (after a day of
// failures) show failed; Retry sends each, text and file, once.
func TestRetryFailedMessages(t *testing.T) {
	ctx := context.Background()
	g := startGatedRelay(t, nil)
	clock := &testClock{}
	alice := newPeerAt(t, g.url, "alice", clock.Now)
	bob := newPeer(t, g.url, "bob")
	// Bob writes first, so Alice's sends need no lookup.
	if _, err := bob.m.SendText(ctx, handle.MustParse("alice"), "hi", 0); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, alice, "bob", 1, func(store.Message) bool { return true })
	data, want := randomFile(t, 32<<10)
	g.set(func(g *gatedRelay) { g.failSends = 1 << 20 })
	text, err := alice.m.SendText(ctx, handle.MustParse("bob"), "still there?", 0)
	if err == nil || text.Status != store.StatusPending {
		t.Fatalf("text: %+v %v", text, err)
	}
	file, err := alice.m.SendFile(ctx, handle.MustParse("bob"), "a.bin", "application/octet-stream",
		bytes.NewReader(data), int64(len(data)), "file", nil)
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
	if err := alice.m.Retry(ctx, alice.history(t, "bob")[0].ID); !errors.Is(err, ErrNoSuchMessage) {
		t.Fatalf("retry of an incoming message: %v", err)
	}
	clock.Set(0)
	g.set(func(g *gatedRelay) { g.failSends = 0 })
	for _, id := range []store.MessageID{text.ID, file.ID} {
		if err := alice.m.Retry(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	var files []store.AttachmentInfo
	h := waitMessages(t, bob, "alice", 3, func(m store.Message) bool {
		if !m.File {
			return true
		}
		files, _ = bob.m.Store().Attachments(ctx, m.ID)
		return len(files) == 1
	})
	if h[1].Body != "still there?" || h[2].Body != "file" || !h[2].File {
		t.Fatalf("bob got %q", bodies(h))
	}
	if !bytes.Equal(files[0].SHA256, want[:]) {
		t.Fatal("bob's file differs from the one sent")
	}
	waitMessages(t, alice, "bob", 3, func(m store.Message) bool {
		return m.Direction == store.Incoming || m.Status == store.StatusSent || m.Status == store.StatusDelivered
	})
	time.Sleep(200 * time.Millisecond)
	if n := len(bob.history(t, "alice")); n != 3 {
		t.Fatalf("bob has %d messages, want 3", n)
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
	time.Sleep(200 * time.Millisecond)
	if h := bob.history(t, "alice"); len(h) != 1 {
		t.Fatalf("bob got %q", bodies(h))
	}
}
