package store

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/hkdf"
)

// Backup file format (docs/STORE.md has the full description):
//
//	header  = "SOTTOBK1" ‖ version (1 byte, = 1) ‖ salt (32 bytes)
//	check   = HMAC-SHA256(K_check, header)             (32 bytes)
//	payload = chunked XChaCha20-Poly1305 stream under K_stream, AD prefix = header
//
// K_check and K_stream are HKDF-SHA256 of the 160-bit recovery key with the
// salt. The payload is a sequence of records: type (1 byte) ‖ name length
// (2) ‖ name ‖ data length (8) ‖ data, ending with an end record.
const (
	backupMagic   = "SOTTOBK1"
	backupVersion = 1

	recKeys       = 1
	recDatabase   = 2
	recAttachment = 3
	recEnd        = 0xff

	recoveryKeyBytes = 20 // 160 bits → 32 base32 characters
	maxKeysRecord    = 1 << 20
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryKey returns a random recovery key, formatted in groups of four
// characters: 32 base32 characters (160 bits) plus dashes.
func newRecoveryKey() ([]byte, string, error) {
	raw := make([]byte, recoveryKeyBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	s := recoveryEncoding.EncodeToString(raw)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+4])
	}
	return raw, b.String(), nil
}

// parseRecoveryKey accepts what newRecoveryKey printed, ignoring case,
// spaces and dashes, and reading 0 as O and 1 as I (not in the alphabet).
func parseRecoveryKey(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t', '\n', '\r':
			return -1
		case '0':
			return 'O'
		case '1':
			return 'I'
		}
		return r
	}, strings.ToUpper(s))
	raw, err := recoveryEncoding.DecodeString(s)
	if err != nil || len(raw) != recoveryKeyBytes || len(s) != recoveryEncoding.EncodedLen(recoveryKeyBytes) {
		return nil, fmt.Errorf("%w: not a recovery key", ErrWrongRecoveryKey)
	}
	return raw, nil
}

func backupKeys(raw, salt []byte) (stream, check []byte) {
	stream, check = make([]byte, 32), make([]byte, 32)
	r := hkdf.New(sha256.New, raw, salt, []byte("sotto/backup/v1/stream"))
	io.ReadFull(r, stream)
	r = hkdf.New(sha256.New, raw, salt, []byte("sotto/backup/v1/check"))
	io.ReadFull(r, check)
	return stream, check
}

func writeRecord(w io.Writer, typ byte, name string, size int64, data io.Reader) error {
	hdr := []byte{typ}
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(name)))
	hdr = append(hdr, name...)
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(size))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	if data == nil {
		return nil
	}
	n, err := io.Copy(w, io.LimitReader(data, size))
	if err == nil && n != size {
		err = fmt.Errorf("record %q: short read (%d of %d bytes)", name, n, size)
	}
	return err
}

// Backup writes the whole profile — keys, database and attachment files —
// to w as one encrypted file and returns the recovery key that opens it. The
// key is generated for this backup and not stored anywhere: show it to the
// user once. Writes to the profile wait while the backup runs.
func (p *Profile) Backup(ctx context.Context, w io.Writer) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()

	raw, display, err := newRecoveryKey()
	if err != nil {
		return "", err
	}
	defer clear(raw)
	header := make([]byte, 0, len(backupMagic)+1+32)
	header = append(header, backupMagic...)
	header = append(header, backupVersion)
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	header = append(header, salt...)
	streamKey, checkKey := backupKeys(raw, salt)
	defer clear(streamKey)
	m := hmac.New(sha256.New, checkKey)
	m.Write(header)
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.Write(m.Sum(header)); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	sw, err := newStreamWriter(bw, streamKey, header)
	if err != nil {
		return "", err
	}

	// The keys. The identity key and master key are in the backup, so the
	// backup is as sensitive as the profile: it is only readable with the
	// recovery key.
	sec := secrets{master: p.master, identity: p.identity}.marshal()
	err = writeRecord(sw, recKeys, "keys", int64(len(sec)), strings.NewReader(string(sec)))
	clear(sec)
	if err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}

	// A consistent snapshot of the database (already column-encrypted).
	snap := filepath.Join(p.dir, ".backup-"+hex.EncodeToString(salt[:8])+".db")
	defer os.Remove(snap)
	if _, err := p.db.ExecContext(ctx, `VACUUM INTO ?`, snap); err != nil {
		return "", fmt.Errorf("store: backup: snapshot database: %w", err)
	}
	if err := copyFileRecord(sw, recDatabase, dbFileName, snap); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Remove(snap); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}

	// Attachment files, as they are on disk (encrypted under keys in the DB).
	rows, err := p.db.QueryContext(ctx, `SELECT file_id FROM attachments ORDER BY id`)
	if err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	var files []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return "", err
		}
		files = append(files, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, f := range files {
		if err := copyFileRecord(sw, recAttachment, f, attachmentPath(p.dir, f)); err != nil {
			return "", fmt.Errorf("store: backup: attachment: %w", err)
		}
	}
	if err := writeRecord(sw, recEnd, "", 0, nil); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if err := sw.Close(); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	return display, nil
}

func copyFileRecord(w io.Writer, typ byte, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return writeRecord(w, typ, name, st.Size(), f)
}

// Restore creates a new profile in dir (missing or empty) from a backup
// read from r. The new profile gets its own id and its keys are protected
// according to opts, like Create. A wrong recovery key is ErrWrongRecoveryKey;
// a damaged file is ErrCorruptBackup. On any error dir is left as it was.
func Restore(ctx context.Context, r io.Reader, recoveryKey string, dir string, opts Options) (*Profile, error) {
	raw, err := parseRecoveryKey(recoveryKey)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	br := bufio.NewReaderSize(r, 256<<10)
	header := make([]byte, len(backupMagic)+1+32)
	if _, err := io.ReadFull(br, header); err != nil || string(header[:len(backupMagic)]) != backupMagic {
		return nil, fmt.Errorf("%w: not a Sotto backup", ErrCorruptBackup)
	}
	if header[len(backupMagic)] != backupVersion {
		return nil, fmt.Errorf("%w: unsupported backup version %d", ErrCorruptBackup, header[len(backupMagic)])
	}
	streamKey, checkKey := backupKeys(raw, header[len(backupMagic)+1:])
	defer clear(streamKey)
	check := make([]byte, sha256.Size)
	if _, err := io.ReadFull(br, check); err != nil {
		return nil, fmt.Errorf("%w: truncated header", ErrCorruptBackup)
	}
	m := hmac.New(sha256.New, checkKey)
	m.Write(header)
	if !hmac.Equal(m.Sum(nil), check) {
		return nil, ErrWrongRecoveryKey
	}
	sr, err := newStreamReader(br, streamKey, header)
	if err != nil {
		return nil, err
	}
	if err := prepareEmptyDir(dir); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			removeProfileFiles(dir)
		}
	}()
	sec, err := readRecords(sr, dir)
	if err != nil {
		if errors.Is(err, errStreamAuth) {
			err = fmt.Errorf("%w: %v", ErrCorruptBackup, err)
		}
		return nil, fmt.Errorf("store: restore: %w", err)
	}
	defer sec.wipe()
	if err := checkDatabase(ctx, filepath.Join(dir, dbFileName)); err != nil {
		return nil, fmt.Errorf("store: restore: %w", err)
	}
	pf := &profileFile{Format: 1, ProfileID: newProfileID()}
	kr := opts.backend()
	if err := pf.protect(kr, opts.Protection, sec, opts.Passphrase); err != nil {
		return nil, fmt.Errorf("store: restore: %w", err)
	}
	if err := pf.write(dir); err != nil {
		if pf.Keyring != nil {
			_ = kr.delete(pf.Keyring.Account)
		}
		return nil, fmt.Errorf("store: restore: %w", err)
	}
	p, err := Open(ctx, dir, Options{Passphrase: opts.Passphrase, Now: opts.Now, keyring: opts.keyring})
	if err != nil {
		if pf.Keyring != nil {
			_ = kr.delete(pf.Keyring.Account)
		}
		return nil, err
	}
	ok = true
	return p, nil
}

// readRecords unpacks the backup payload into dir and returns the keys.
func readRecords(r io.Reader, dir string) (secrets, error) {
	var sec secrets
	haveKeys, haveDB := false, false
	for {
		var hdr [3]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return sec, fmt.Errorf("%w: reading record: %v", ErrCorruptBackup, err)
		}
		name := make([]byte, binary.BigEndian.Uint16(hdr[1:]))
		if _, err := io.ReadFull(r, name); err != nil {
			return sec, fmt.Errorf("%w: reading record: %v", ErrCorruptBackup, err)
		}
		var sz [8]byte
		if _, err := io.ReadFull(r, sz[:]); err != nil {
			return sec, fmt.Errorf("%w: reading record: %v", ErrCorruptBackup, err)
		}
		size := int64(binary.BigEndian.Uint64(sz[:]))
		if size < 0 {
			return sec, fmt.Errorf("%w: bad record size", ErrCorruptBackup)
		}
		switch hdr[0] {
		case recEnd:
			if !haveKeys || !haveDB {
				return sec, fmt.Errorf("%w: keys or database missing", ErrCorruptBackup)
			}
			return sec, nil
		case recKeys:
			if size > maxKeysRecord || haveKeys {
				return sec, fmt.Errorf("%w: bad keys record", ErrCorruptBackup)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil {
				return sec, fmt.Errorf("%w: keys: %v", ErrCorruptBackup, err)
			}
			s, err := parseSecrets(b)
			clear(b)
			if err != nil {
				return sec, fmt.Errorf("%w: keys: %v", ErrCorruptBackup, err)
			}
			sec, haveKeys = s, true
		case recDatabase:
			if haveDB || string(name) != dbFileName {
				return sec, fmt.Errorf("%w: bad database record", ErrCorruptBackup)
			}
			if err := writeRecordFile(filepath.Join(dir, dbFileName), r, size); err != nil {
				return sec, err
			}
			haveDB = true
		case recAttachment:
			id, tmp := attachmentFileID(string(name) + attachmentExt)
			if id == "" || tmp {
				return sec, fmt.Errorf("%w: bad attachment name", ErrCorruptBackup)
			}
			if err := writeRecordFile(attachmentPath(dir, id), r, size); err != nil {
				return sec, err
			}
		default:
			return sec, fmt.Errorf("%w: unknown record type %d", ErrCorruptBackup, hdr[0])
		}
	}
}

func writeRecordFile(path string, r io.Reader, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%w: %s truncated", ErrCorruptBackup, filepath.Base(path))
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// checkDatabase runs SQLite's integrity check on a restored database.
func checkDatabase(ctx context.Context, path string) error {
	db, err := openDB(path)
	if err != nil {
		return fmt.Errorf("%w: database: %v", ErrCorruptBackup, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		return fmt.Errorf("%w: database integrity check failed", ErrCorruptBackup)
	}
	return nil
}
