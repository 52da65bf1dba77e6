package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestAttachmentRemoteAndFileFlag: a file message keeps its File flag, and
// an attachment's Remote data is replaced, cleared and survives a reopen,
// while its file stays readable.
func TestAttachmentRemoteAndFileFlag(t *testing.T) {
	ctx := context.Background()
	p, dir := newProfile(t, Options{})
	_, conv := newConversation(t, p, "@alice")
	id := mustInsert(t, p, Message{Conversation: conv, Direction: Outgoing, Status: StatusPending, Body: "caption", File: true})
	text := mustInsert(t, p, Message{Conversation: conv, Direction: Outgoing, Status: StatusPending, Body: "text"})
	aid, err := p.AddAttachment(ctx, id, AttachmentInfo{Name: "a.bin", MIME: "application/octet-stream"}, strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetAttachmentRemote(ctx, aid, []byte("pointer-1")); err != nil {
		t.Fatal(err)
	}
	if err := p.SetAttachmentRemote(ctx, aid+100, []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown attachment: %v", err)
	}
	check := func(p *Profile, want []byte) {
		t.Helper()
		m, err := p.Message(ctx, id)
		if err != nil || !m.File {
			t.Fatalf("file message: %+v %v", m, err)
		}
		if m, err := p.Message(ctx, text); err != nil || m.File {
			t.Fatalf("text message: %+v %v", m, err)
		}
		as, err := p.Attachments(ctx, id)
		if err != nil || len(as) != 1 || !bytes.Equal(as[0].Remote, want) || as[0].Name != "a.bin" || as[0].Size != 7 {
			t.Fatalf("attachment: %+v %v", as, err)
		}
		rc, err := p.OpenAttachment(ctx, aid)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil || b.String() != "payload" {
			t.Fatalf("file %q %v", b.String(), err)
		}
	}
	check(p, []byte("pointer-1"))
	p.Close()
	p, err = Open(ctx, dir, Options{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	check(p, []byte("pointer-1"))
	if err := p.SetAttachmentRemote(ctx, aid, nil); err != nil {
		t.Fatal(err)
	}
	check(p, nil)
}
