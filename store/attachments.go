package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// AttachmentInfo describes a file attached to a message. The file itself is
// kept encrypted under attachments/ with a random key of its own, which is
// stored (encrypted) in the attachments row.
type AttachmentInfo struct {
	ID      AttachmentID
	Message MessageID
	Name    string
	MIME    string
	// Size and SHA256 are of the plaintext, computed by AddAttachment.
	Size   int64
	SHA256 []byte
	// Remote is opaque protocol data (download pointer, transfer key...).
	Remote    []byte
	CreatedAt time.Time
}

// attachmentRecord is the encrypted attachments.info column.
type attachmentRecord struct {
	Name   string `json:"n"`
	MIME   string `json:"m"`
	Size   int64  `json:"s"`
	SHA256 []byte `json:"h"`
	Remote []byte `json:"r,omitempty"`
	Key    []byte `json:"k"`
}

const attachmentExt, attachmentTmpExt = ".att", ".tmp"

func attachmentPath(dir, fileID string) string {
	return filepath.Join(dir, attachmentsDir, fileID+attachmentExt)
}

// attachmentFileID parses a file name in attachments/: its file id (or ""
// for a name the store did not write) and whether it is an unfinished file.
func attachmentFileID(name string) (string, bool) {
	for _, ext := range []string{attachmentExt, attachmentTmpExt} {
		if id, ok := strings.CutSuffix(name, ext); ok {
			if b, err := hex.DecodeString(id); err == nil && len(b) == 16 {
				return id, ext == attachmentTmpExt
			}
		}
	}
	return "", false
}

func attachmentAD(fileID string) []byte { return []byte("sotto/store/v1/attachment\x00" + fileID) }

// shredFile overwrites a file with zeros before removing it. The content is
// ciphertext whose key is already deleted; the overwrite is belt and braces.
func shredFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		if st, err := f.Stat(); err == nil {
			zero := make([]byte, 64<<10)
			for left := st.Size(); left > 0; left -= int64(len(zero)) {
				if _, err := f.Write(zero[:min(left, int64(len(zero)))]); err != nil {
					break
				}
			}
			_ = f.Sync()
		}
		f.Close()
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// AddAttachment encrypts the content read from r into a new file and
// records it for message msg. The file is complete and synced before the row
// is committed; a crash in between leaves an orphan file that the next Open
// removes.
func (p *Profile) AddAttachment(ctx context.Context, msg MessageID, info AttachmentInfo, r io.Reader) (AttachmentID, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	var fid [16]byte
	if _, err := rand.Read(fid[:]); err != nil {
		return 0, err
	}
	fileID := hex.EncodeToString(fid[:])
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return 0, err
	}
	defer clear(key)
	tmp := filepath.Join(p.dir, attachmentsDir, fileID+attachmentTmpExt)
	size, sum, err := writeEncryptedFile(tmp, key, attachmentAD(fileID), r)
	if err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("store: add attachment: %w", err)
	}
	final := attachmentPath(p.dir, fileID)
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("store: add attachment: %w", err)
	}
	_ = syncDir(filepath.Dir(final))
	rec, err := json.Marshal(attachmentRecord{Name: info.Name, MIME: info.MIME, Size: size, SHA256: sum, Remote: info.Remote, Key: key})
	if err != nil {
		return 0, err
	}
	defer clear(rec)
	var id int64
	err = p.write(ctx, "store: add attachment", func(tx *wtx, _ *afterCommit) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE id = ?`, int64(msg)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("message %d: %w", msg, ErrNotFound)
		}
		if id, err = nextID(ctx, tx, "attachments"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO attachments(id, message_id, file_id, info, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, int64(msg), fileID, p.keys.seal("attachments", "info", id, rec), toMS(p.now()))
		return err
	})
	if err != nil {
		_ = shredFile(final)
		return 0, err
	}
	return AttachmentID(id), nil
}

func writeEncryptedFile(path string, key, ad []byte, r io.Reader) (int64, []byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	sw, err := newStreamWriter(f, key, ad)
	if err != nil {
		return 0, nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(sw, h), r)
	if err != nil {
		return 0, nil, err
	}
	if err := sw.Close(); err != nil {
		return 0, nil, err
	}
	if err := f.Sync(); err != nil {
		return 0, nil, err
	}
	return n, h.Sum(nil), f.Close()
}

func (p *Profile) scanAttachment(r rowScanner) (AttachmentInfo, string, []byte, error) {
	var id, msg, created int64
	var fileID string
	var ct []byte
	if err := r.Scan(&id, &msg, &fileID, &ct, &created); err != nil {
		return AttachmentInfo{}, "", nil, err
	}
	pt, err := p.keys.open("attachments", "info", id, ct)
	if err != nil {
		return AttachmentInfo{}, "", nil, err
	}
	defer clear(pt)
	var rec attachmentRecord
	if err := json.Unmarshal(pt, &rec); err != nil {
		return AttachmentInfo{}, "", nil, fmt.Errorf("%w: attachments.info row %d: %v", ErrTampered, id, err)
	}
	return AttachmentInfo{ID: AttachmentID(id), Message: MessageID(msg), Name: rec.Name, MIME: rec.MIME, Size: rec.Size,
		SHA256: rec.SHA256, Remote: rec.Remote, CreatedAt: fromMS(created)}, fileID, rec.Key, nil
}

// Attachments lists a message's attachments.
func (p *Profile) Attachments(ctx context.Context, msg MessageID) ([]AttachmentInfo, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	rows, err := p.stmts.QueryContext(ctx, `SELECT id, message_id, file_id, info, created_at FROM attachments WHERE message_id = ? ORDER BY id`, int64(msg))
	if err != nil {
		return nil, fmt.Errorf("store: attachments: %w", err)
	}
	defer rows.Close()
	var out []AttachmentInfo
	for rows.Next() {
		a, _, key, err := p.scanAttachment(rows)
		clear(key)
		if err != nil {
			return nil, fmt.Errorf("store: attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenAttachment returns a reader of the attachment's plaintext. Reading
// fails with ErrTampered if the file was modified or truncated.
func (p *Profile) OpenAttachment(ctx context.Context, id AttachmentID) (io.ReadCloser, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	_, fileID, key, err := p.scanAttachment(p.stmts.QueryRowContext(ctx,
		`SELECT id, message_id, file_id, info, created_at FROM attachments WHERE id = ?`, int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("attachment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open attachment: %w", err)
	}
	f, err := os.Open(attachmentPath(p.dir, fileID))
	if err != nil {
		return nil, fmt.Errorf("store: open attachment %d: %w", id, err)
	}
	sr, err := newStreamReader(f, key, attachmentAD(fileID))
	clear(key)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &attachmentReader{sr: sr, f: f}, nil
}

type attachmentReader struct {
	sr *streamReader
	f  *os.File
}

func (a *attachmentReader) Read(b []byte) (int, error) {
	n, err := a.sr.Read(b)
	if err != nil && errors.Is(err, errStreamAuth) {
		return n, fmt.Errorf("%w: attachment file: %v", ErrTampered, err)
	}
	return n, err
}

func (a *attachmentReader) Close() error { return a.f.Close() }

// SetAttachmentRemote replaces an attachment's Remote data (nil clears it).
// It is sealed with the rest of the attachment's description, never stored
// in the clear.
func (p *Profile) SetAttachmentRemote(ctx context.Context, id AttachmentID, remote []byte) error {
	return p.write(ctx, "store: set attachment remote", func(tx *wtx, _ *afterCommit) error {
		var key []byte
		defer func() { clear(key) }()
		return updateSealedJSON(ctx, p, tx, "attachments", "info", int64(id), func(rec *attachmentRecord) {
			key = rec.Key // cleared once the record is sealed again
			rec.Remote = remote
		})
	})
}
