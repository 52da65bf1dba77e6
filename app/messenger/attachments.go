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
	"time"

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
// hashing everything it is given. Once an upload fails it keeps the error
// and takes no more blobs; lenient, it still accepts (and drops) what it is
// given, so the one pass that also keeps the local copy runs to the end.
type blobUploader struct {
	ctx      context.Context
	m        *Messenger
	buf      []byte
	hash     hash.Hash
	blobs    []string
	expires  time.Time
	sent     int64
	total    int64
	progress Progress
	lenient  bool
	err      error
}

func (m *Messenger) newUploader(ctx context.Context, total int64, progress Progress) *blobUploader {
	return &blobUploader{ctx: ctx, m: m, hash: sha256.New(), total: total, progress: progress}
}

func (u *blobUploader) Write(p []byte) (int, error) {
	if u.err != nil {
		if u.lenient {
			return len(p), nil
		}
		return 0, u.err
	}
	u.hash.Write(p)
	n := len(p)
	for len(p) > 0 {
		k := min(blobSize-len(u.buf), len(p))
		u.buf = append(u.buf, p[:k]...)
		p = p[k:]
		if len(u.buf) == blobSize {
			if err := u.flush(); err != nil {
				if u.lenient {
					return n, nil
				}
				return 0, err
			}
		}
	}
	return n, nil
}

func (u *blobUploader) flush() error {
	if u.err != nil {
		return u.err
	}
	if len(u.buf) == 0 {
		return nil
	}
	resp, err := u.m.relay.Upload(u.ctx, u.buf)
	if err != nil {
		u.err = fmt.Errorf("upload: %w", err)
		u.buf = nil
		return u.err
	}
	u.blobs = append(u.blobs, resp.ID)
	if u.expires.IsZero() || resp.Expires.Before(u.expires) {
		u.expires = resp.Expires
	}
	u.sent += int64(len(u.buf))
	u.buf = u.buf[:0]
	if u.progress != nil {
		u.progress(u.sent, u.total)
	}
	return nil
}

// pointer is what the finished upload made, under key.
func (u *blobUploader) pointer(key attachment.Key) *filePointer {
	p := &filePointer{Key: key, Blobs: u.blobs, Expires: u.expires}
	copy(p.Digest[:], u.hash.Sum(nil))
	return p
}

// progressFor reports an upload's steps as events naming the message, and
// to the caller's own function if there is one.
func (m *Messenger) progressFor(c store.ContactID, conv store.ConversationID, id store.MessageID, progress Progress) Progress {
	return func(done, total int64) {
		m.cfg.Events.Emit(Event{Kind: EventProgress, Contact: c, Conversation: conv, Message: id, Done: done, Total: total})
		if progress != nil {
			progress(done, total)
		}
	}
}

// SendFile encrypts a file, uploads it, keeps a copy in the profile and
// sends the contact the key and where to fetch it. size is the file's length
// (it is checked against what r yields).
//
// Once the local copy is kept the message stays: if the upload or the
// delivery fails, it is returned pending with the error, and the outbox
// sends it later (uploading again from the copy only if the upload did not
// finish or its blobs are about to expire at the relay). If r cannot be read
// in full, nothing was sent and the message goes.
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
	row := store.Message{Conversation: conv.ID, RemoteID: msg.ID[:], Direction: store.Outgoing,
		Status: store.StatusPending, Body: caption, SentAt: msg.SentAt, File: true}
	if conv.DisappearAfter > 0 {
		row.ExpiresAt = msg.SentAt.Add(conv.DisappearAfter)
	}
	if row.ID, err = m.st.InsertMessage(ctx, row); err != nil {
		return store.Message{}, fmt.Errorf("store message: %w", err)
	}
	// The outbox leaves the message alone until this send is done with it.
	m.claim(row.ID)
	defer m.release(row.ID)

	// Encrypt and upload, and keep the local copy, in one pass over r.
	up := m.newUploader(ctx, attachment.EncryptedSize(size), m.progressFor(c.ID, conv.ID, row.ID, progress))
	up.lenient = true
	enc, err := attachment.NewWriter(up, key)
	if err != nil {
		_ = m.st.DeleteMessage(ctx, row.ID)
		return store.Message{}, err
	}
	pr, pw := io.Pipe()
	type kept struct {
		id  store.AttachmentID
		err error
	}
	localDone := make(chan kept, 1)
	go func() {
		id, err := m.st.AddAttachment(ctx, row.ID, store.AttachmentInfo{Name: name, MIME: mime}, pr)
		pr.CloseWithError(err)
		localDone <- kept{id, err}
	}()
	n, err := io.Copy(io.MultiWriter(enc, pw), io.LimitReader(r, content.MaxAttachmentSize+1))
	if err == nil && n != size {
		err = fmt.Errorf("file is %d bytes, not %d", n, size)
	}
	if err == nil {
		err = enc.Close()
	}
	pw.CloseWithError(err)
	local := <-localDone
	if err == nil && local.err != nil {
		err = fmt.Errorf("keep a copy: %w", local.err)
	}
	if err != nil {
		// Nothing was sent and there is nothing to send from: the message
		// goes, so the chat shows no ghost.
		_ = m.st.DeleteMessage(ctx, row.ID)
		return store.Message{}, err
	}
	_ = up.flush()
	m.cfg.Events.Emit(Event{Kind: EventMessage, Contact: c.ID, Conversation: conv.ID, Message: row.ID})
	if up.err != nil {
		m.release(row.ID)
		m.kickOutbox()
		return row, up.err
	}
	ptr := up.pointer(key)
	defer ptr.wipe()
	if err := m.st.SetAttachmentRemote(ctx, local.id, ptr.marshal()); err != nil {
		m.cfg.Log.Warn("file pointer not kept: a retry will upload again", "err", err.Error())
	}
	msg.Attachment.Blobs, msg.Attachment.Digest = ptr.Blobs, ptr.Digest
	if err := m.deliver(ctx, c, msg); err != nil {
		m.release(row.ID)
		m.kickOutbox()
		return row, err
	}
	if err := m.sent(ctx, c.ID, conv.ID, row.ID, local.id); err != nil {
		return row, err
	}
	row.Status = store.StatusSent
	return row, nil
}

// sent records that the relay has a file message: its status moves on and
// the pointer (with the file's key) is no longer kept.
func (m *Messenger) sent(ctx context.Context, c store.ContactID, conv store.ConversationID, id store.MessageID, file store.AttachmentID) error {
	if err := m.setStatus(ctx, c, conv, id, store.StatusSent); err != nil {
		return err
	}
	if err := m.st.SetAttachmentRemote(ctx, file, nil); err != nil {
		m.cfg.Log.Warn("file pointer not cleared", "err", err.Error())
	}
	return nil
}

// uploadCopy encrypts the kept copy of a file under a fresh key and uploads
// it again, for a file message whose first upload did not finish or whose
// blobs are expiring at the relay.
func (m *Messenger) uploadCopy(ctx context.Context, c store.ContactID, conv store.ConversationID, row store.Message, a store.AttachmentInfo) (*filePointer, error) {
	rc, err := m.st.OpenAttachment(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: the kept copy of the file: %v", errUnsendable, err)
	}
	defer rc.Close()
	key, err := attachment.GenerateKey(m.cfg.Rand)
	if err != nil {
		return nil, err
	}
	defer clear(key[:])
	up := m.newUploader(ctx, attachment.EncryptedSize(a.Size), m.progressFor(c, conv, row.ID, nil))
	enc, err := attachment.NewWriter(up, key)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(enc, rc)
	if err == nil {
		err = enc.Close()
	}
	if err == nil {
		err = up.flush()
	}
	if up.err != nil {
		return nil, up.err
	}
	if err != nil {
		if errors.Is(err, store.ErrTampered) {
			return nil, fmt.Errorf("%w: the kept copy of the file: %v", errUnsendable, err)
		}
		return nil, fmt.Errorf("read the kept copy of the file: %w", err)
	}
	if n != a.Size {
		return nil, fmt.Errorf("%w: the kept copy of the file is %d bytes, not %d", errUnsendable, n, a.Size)
	}
	return up.pointer(key), nil
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
