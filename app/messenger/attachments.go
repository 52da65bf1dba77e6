package messenger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/crypto/attachment"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/store"
)

// Attachments travel as ciphertext in blobs of at most blobSize bytes (under
// the relay's per-blob limit), so a 100 MB file needs no more memory than
// one blob on either side.
const blobSize = 8 << 20

// ErrTooLarge: the file is over the attachment size limit.
var ErrTooLarge = errors.New("messenger: file is larger than 100 MB")

// Progress reports bytes done of total for a transfer.
type Progress func(done, total int64)

// blobUploader collects ciphertext and uploads it in blobs as they fill,
// hashing everything it is given.
type blobUploader struct {
	ctx      context.Context
	m        *Messenger
	buf      []byte
	hash     hash.Hash
	blobs    []string
	sent     int64
	total    int64
	progress Progress
}

func (u *blobUploader) Write(p []byte) (int, error) {
	u.hash.Write(p)
	n := len(p)
	for len(p) > 0 {
		k := min(blobSize-len(u.buf), len(p))
		u.buf = append(u.buf, p[:k]...)
		p = p[k:]
		if len(u.buf) == blobSize {
			if err := u.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (u *blobUploader) flush() error {
	if len(u.buf) == 0 {
		return nil
	}
	resp, err := u.m.relay.Upload(u.ctx, u.buf)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	u.blobs = append(u.blobs, resp.ID)
	u.sent += int64(len(u.buf))
	u.buf = u.buf[:0]
	if u.progress != nil {
		u.progress(u.sent, u.total)
	}
	return nil
}

// SendFile encrypts a file, uploads it, keeps a copy in the profile and
// sends the contact the key and where to fetch it. size is the file's length
// (it is checked against what r yields).
func (m *Messenger) SendFile(ctx context.Context, h handle.Handle, name, mime string, r io.Reader, size int64, caption string, progress Progress) (store.Message, error) {
	if size > content.MaxAttachmentSize {
		return store.Message{}, ErrTooLarge
	}
	c, conv, msg, err := m.startMessage(ctx, h, content.KindAttachment)
	if err != nil {
		return store.Message{}, err
	}
	key, err := attachment.GenerateKey(m.cfg.Rand)
	if err != nil {
		return store.Message{}, err
	}
	defer clear(key[:])
	msg.Text = caption
	msg.Attachment = &content.Attachment{Name: name, MIME: mime, Size: size, Key: key, Blobs: []string{"pending"}}
	if err := msg.Validate(); err != nil {
		return store.Message{}, err
	}

	// Encrypt and upload, and keep the local copy, in one pass over r.
	up := &blobUploader{ctx: ctx, m: m, hash: sha256.New(), total: attachment.EncryptedSize(size)}
	enc, err := attachment.NewWriter(up, key)
	if err != nil {
		return store.Message{}, err
	}
	row := store.Message{Conversation: conv.ID, RemoteID: msg.ID[:], Direction: store.Outgoing,
		Status: store.StatusPending, Body: caption, SentAt: msg.SentAt}
	if conv.DisappearAfter > 0 {
		row.ExpiresAt = msg.SentAt.Add(conv.DisappearAfter)
	}
	if row.ID, err = m.st.InsertMessage(ctx, row); err != nil {
		return store.Message{}, fmt.Errorf("store message: %w", err)
	}
	// Every upload step is an event naming the message, besides the caller's
	// own progress function.
	up.progress = func(done, total int64) {
		m.cfg.Events.Emit(Event{Kind: EventProgress, Contact: c.ID, Conversation: conv.ID, Message: row.ID, Done: done, Total: total})
		if progress != nil {
			progress(done, total)
		}
	}
	fail := func(err error) (store.Message, error) {
		// Nothing was sent: the message goes, so the chat shows no ghost.
		_ = m.st.DeleteMessage(ctx, row.ID)
		return store.Message{}, err
	}
	pr, pw := io.Pipe()
	localDone := make(chan error, 1)
	go func() {
		_, err := m.st.AddAttachment(ctx, row.ID, store.AttachmentInfo{Name: name, MIME: mime}, pr)
		pr.CloseWithError(err)
		localDone <- err
	}()
	n, err := io.Copy(io.MultiWriter(enc, pw), io.LimitReader(r, content.MaxAttachmentSize+1))
	if err == nil && n != size {
		err = fmt.Errorf("file is %d bytes, not %d", n, size)
	}
	if err == nil {
		err = enc.Close()
	}
	if err == nil {
		err = up.flush()
	}
	pw.CloseWithError(err)
	if lerr := <-localDone; err == nil && lerr != nil {
		err = fmt.Errorf("keep a copy: %w", lerr)
	}
	if err != nil {
		return fail(err)
	}
	msg.Attachment.Blobs = up.blobs
	copy(msg.Attachment.Digest[:], up.hash.Sum(nil))
	m.cfg.Events.Emit(Event{Kind: EventMessage, Contact: c.ID, Conversation: conv.ID, Message: row.ID})
	if err := m.deliver(ctx, c, msg); err != nil {
		// The pointer is not kept for a retry: the outbox resends text only.
		_ = m.setStatus(ctx, c.ID, conv.ID, row.ID, store.StatusFailed)
		return row, err
	}
	if err := m.setStatus(ctx, c.ID, conv.ID, row.ID, store.StatusSent); err != nil {
		return row, err
	}
	row.Status = store.StatusSent
	return row, nil
}

// fetchAttachment downloads the blobs of a received attachment into a
// temporary file (ciphertext only) and checks their digest. The caller
// decrypts from it into the profile and removes it.
func (m *Messenger) fetchAttachment(ctx context.Context, c store.Contact, conv store.Conversation, a *content.Attachment) (*os.File, error) {
	f, err := os.CreateTemp("", "sotto-incoming-*")
	if err != nil {
		return nil, fmt.Errorf("temporary file: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	total := attachment.EncryptedSize(a.Size)
	var got int64
	for _, id := range a.Blobs {
		b, err := m.relay.Download(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("download: %w", err)
		}
		got += int64(len(b))
		if got > total {
			return nil, fmt.Errorf("%w: attachment is larger than announced", errDrop)
		}
		h.Write(b)
		if _, err := f.Write(b); err != nil {
			return nil, fmt.Errorf("temporary file: %w", err)
		}
		m.cfg.Events.Emit(Event{Kind: EventProgress, Contact: c.ID, Conversation: conv.ID, Done: got, Total: total})
	}
	if got != total || !bytes.Equal(h.Sum(nil), a.Digest[:]) {
		return nil, fmt.Errorf("%w: attachment does not match its digest", errDrop)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	ok = true
	return f, nil
}

// storeAttachment decrypts a fetched attachment into the profile.
func (m *Messenger) storeAttachment(ctx context.Context, msg store.MessageID, a *content.Attachment, f *os.File) error {
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	dec, err := attachment.NewReader(f, a.Key)
	if err != nil {
		return err
	}
	_, err = m.st.AddAttachment(ctx, msg, store.AttachmentInfo{Name: a.Name, MIME: a.MIME}, dec)
	return err
}
