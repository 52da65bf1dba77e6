package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure Create, Open and Restore.
type Options struct {
	// Protection chooses where the keys go (Create and Restore only; Open
	// follows what the profile says). The zero value is ProtectionAuto.
	Protection Protection
	// Passphrase wraps or unwraps the keys when the profile is (or is to be)
	// passphrase-protected. The store does not keep it after the call.
	Passphrase []byte
	// Now is the clock for timestamps and expiry; nil means time.Now.
	Now func() time.Time

	// keyring replaces the OS keyring in tests.
	keyring keyringBackend
	// manualExpiry: no background purge; tests that count what PurgeExpired
	// removes after moving their clock would otherwise race the loop for it.
	manualExpiry bool
}

func (o *Options) backend() keyringBackend {
	if o.keyring != nil {
		return o.keyring
	}
	return osKeyring{}
}

// Profile is an open profile: one directory holding profile.json, the
// database (sotto.db and its -wal/-shm files) and attachments/. All methods
// are safe for concurrent use.
type Profile struct {
	dir      string
	db       *sql.DB
	stmts    *stmtCache // prepared statements over db
	keys     *columnKeys
	pf       *profileFile
	kr       keyringBackend
	master   []byte // kept for Backup; wiped on Close
	identity []byte
	nowFn    func() time.Time

	// wmu serialises write transactions: SQLite has one writer, and taking
	// the lock here keeps writers from failing with SQLITE_BUSY.
	wmu sync.Mutex

	mu     sync.Mutex // guards closed, pf
	closed bool
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

const attachmentsDir = "attachments"

// Create makes a new profile in dir (which must be missing or empty): a fresh
// random master key, the given identity private key, both stored according to
// opts.Protection. There is never a plaintext fallback: with no reachable
// keyring and no passphrase Create fails with ErrPassphraseRequired.
func Create(ctx context.Context, dir string, identityKey []byte, opts Options) (*Profile, error) {
	if len(identityKey) == 0 {
		return nil, errors.New("store: create: empty identity key")
	}
	master := make([]byte, masterKeySize)
	if _, err := randRead(master); err != nil {
		return nil, err
	}
	s := secrets{master: master, identity: bytes.Clone(identityKey)}
	return create(ctx, dir, s, opts, schemaVersion, nil)
}

// create makes a profile at schema version target and, if populate is not
// nil, lets it fill the database before profile.json is written. It opens
// and returns the profile only when target is the current version (older
// targets exist for the migration tests).
func create(ctx context.Context, dir string, s secrets, opts Options, target int, populate func(db *sql.DB, k *columnKeys) error) (*Profile, error) {
	defer s.wipe()
	if err := prepareEmptyDir(dir); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			removeProfileFiles(dir)
		}
	}()
	pf := &profileFile{Format: 1, ProfileID: newProfileID()}
	kr := opts.backend()
	if err := pf.protect(kr, opts.Protection, s, opts.Passphrase); err != nil {
		return nil, fmt.Errorf("store: create: %w", err)
	}
	dropKeyring := func() {
		if pf.Keyring != nil {
			_ = kr.delete(pf.Keyring.Account)
		}
	}
	keys := newColumnKeys(s.master)
	db, err := openDB(filepath.Join(dir, dbFileName))
	if err != nil {
		dropKeyring()
		return nil, fmt.Errorf("store: create database: %w", err)
	}
	if err := migrate(ctx, db, keys, target); err != nil {
		db.Close()
		dropKeyring()
		return nil, fmt.Errorf("store: create: %w", err)
	}
	if populate != nil {
		if err := populate(db, keys); err != nil {
			db.Close()
			dropKeyring()
			return nil, err
		}
	}
	db.Close()
	// profile.json is written last: a directory without it is not a profile.
	if err := pf.write(dir); err != nil {
		dropKeyring()
		return nil, fmt.Errorf("store: create: %w", err)
	}
	ok = true
	if target != schemaVersion {
		return nil, nil
	}
	return Open(ctx, dir, Options{Passphrase: opts.Passphrase, Now: opts.Now, keyring: opts.keyring, manualExpiry: opts.manualExpiry})
}

func prepareEmptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if len(ents) != 0 {
		return fmt.Errorf("%w: %s", ErrProfileExists, dir)
	}
	return os.Mkdir(filepath.Join(dir, attachmentsDir), 0o700)
}

// removeProfileFiles undoes a failed Create or Restore in a directory that
// was empty before it started.
func removeProfileFiles(dir string) {
	for _, n := range []string{profileFileName, dbFileName, dbFileName + "-wal", dbFileName + "-shm", dbFileName + "-journal"} {
		_ = os.Remove(filepath.Join(dir, n))
	}
	_ = os.RemoveAll(filepath.Join(dir, attachmentsDir))
}

// Open opens the profile in dir: it obtains the keys (keyring, or
// opts.Passphrase), migrates the database to the current schema, purges
// expired messages and starts the expiry timer.
func Open(ctx context.Context, dir string, opts Options) (*Profile, error) {
	pf, err := readProfileFile(dir)
	if err != nil {
		return nil, err
	}
	kr := opts.backend()
	s, err := pf.unlock(kr, opts.Passphrase)
	if err != nil {
		return nil, fmt.Errorf("store: open profile: %w", err)
	}
	defer s.wipe()
	if _, err := os.Stat(filepath.Join(dir, dbFileName)); err != nil {
		return nil, fmt.Errorf("%w: database missing: %v", ErrCorruptProfile, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, attachmentsDir), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := openDB(filepath.Join(dir, dbFileName))
	if err != nil {
		return nil, fmt.Errorf("store: open database: %w", dbError(err))
	}
	p := &Profile{
		dir:      dir,
		db:       db,
		stmts:    newStmtCache(db),
		keys:     newColumnKeys(s.master),
		pf:       pf,
		kr:       kr,
		master:   bytes.Clone(s.master),
		identity: bytes.Clone(s.identity),
		nowFn:    opts.Now,
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if p.nowFn == nil {
		p.nowFn = time.Now
	}
	if err := migrate(ctx, db, p.keys, schemaVersion); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open: %w", dbError(err))
	}
	if _, err := p.PurgeExpired(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := p.sweepOrphanFiles(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if opts.manualExpiry {
		close(p.done)
	} else {
		go p.expiryLoop()
	}
	return p, nil
}

// Close stops the expiry timer and closes the database.
func (p *Profile) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	p.wmu.Lock()
	defer p.wmu.Unlock()
	clear(p.identity)
	clear(p.master)
	p.stmts.close()
	return p.db.Close()
}

func (p *Profile) check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	return nil
}

func (p *Profile) now() time.Time { return p.nowFn() }

// Dir is the profile directory.
func (p *Profile) Dir() string { return p.dir }

// ID is the profile's random id (also the keyring account suffix).
func (p *Profile) ID() string { return p.pf.ProfileID }

// IdentityKey returns a copy of the identity private key.
func (p *Profile) IdentityKey() []byte { return bytes.Clone(p.identity) }

// Protection says where the keys currently live.
func (p *Profile) Protection() Protection {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pf.Protection == "keyring" {
		return ProtectionKeyring
	}
	return ProtectionPassphrase
}

// currentSecrets re-obtains the secrets the profile was opened with. The
// master key is not kept in memory in the clear beyond the derived keys, so
// it is fetched again from where it lives.
func (p *Profile) currentSecrets(passphrase []byte) (secrets, error) {
	p.mu.Lock()
	pf := *p.pf
	p.mu.Unlock()
	return pf.unlock(p.kr, passphrase)
}

// UsePassphrase moves the keys from wherever they are to a passphrase
// wrapping in profile.json (and deletes the keyring entry). The database is
// not re-encrypted: only the keys are re-wrapped. current is the present
// passphrase when the profile is already passphrase-protected (to change it).
func (p *Profile) UsePassphrase(current, passphrase []byte) error {
	if err := p.check(); err != nil {
		return err
	}
	if len(passphrase) == 0 {
		return ErrPassphraseRequired
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	s, err := p.currentSecrets(current)
	if err != nil {
		return fmt.Errorf("store: use passphrase: %w", err)
	}
	defer s.wipe()
	p.mu.Lock()
	npf := *p.pf
	p.mu.Unlock()
	old := npf.Keyring
	if err := npf.protect(p.kr, ProtectionPassphrase, s, passphrase); err != nil {
		return fmt.Errorf("store: use passphrase: %w", err)
	}
	if err := npf.write(p.dir); err != nil {
		return fmt.Errorf("store: use passphrase: %w", err)
	}
	p.mu.Lock()
	p.pf = &npf
	p.mu.Unlock()
	// Only once the new wrapping is on disk is the old copy removed.
	if old != nil {
		if err := p.kr.delete(old.Account); err != nil && !errors.Is(err, ErrKeyringEntryMissing) {
			return fmt.Errorf("store: keys now passphrase-protected, but the old keyring entry could not be deleted: %w", err)
		}
	}
	return nil
}

// UseKeyring moves the keys into the OS keyring and removes the passphrase
// wrapping from profile.json. passphrase is the current one (if any).
func (p *Profile) UseKeyring(passphrase []byte) error {
	if err := p.check(); err != nil {
		return err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	s, err := p.currentSecrets(passphrase)
	if err != nil {
		return fmt.Errorf("store: use keyring: %w", err)
	}
	defer s.wipe()
	p.mu.Lock()
	npf := *p.pf
	p.mu.Unlock()
	if err := npf.protect(p.kr, ProtectionKeyring, s, nil); err != nil {
		return fmt.Errorf("store: use keyring: %w", err)
	}
	if err := npf.write(p.dir); err != nil {
		_ = p.kr.delete(npf.Keyring.Account)
		return fmt.Errorf("store: use keyring: %w", err)
	}
	p.mu.Lock()
	p.pf = &npf
	p.mu.Unlock()
	return nil
}

// Delete removes a profile: its keyring entry (if any) and its files. The
// profile must be closed first.
func Delete(dir string, opts Options) error {
	pf, err := readProfileFile(dir)
	if err != nil && !errors.Is(err, ErrCorruptProfile) {
		return err
	}
	if pf != nil && pf.Keyring != nil {
		if err := opts.backend().delete(pf.Keyring.Account); err != nil && !errors.Is(err, ErrKeyringEntryMissing) {
			return fmt.Errorf("store: delete profile: %w", err)
		}
	}
	removeProfileFiles(dir)
	return nil
}

// sweepOrphanFiles removes attachment files no row refers to: leftovers of a
// crash between writing a file and committing its row, or between deleting
// a row and its file.
func (p *Profile) sweepOrphanFiles(ctx context.Context) error {
	ents, err := os.ReadDir(filepath.Join(p.dir, attachmentsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		fileID, isTmp := attachmentFileID(name)
		if fileID == "" {
			continue // not ours: leave it alone
		}
		if !isTmp {
			var n int
			if err := p.stmts.QueryRowContext(ctx, `SELECT count(*) FROM attachments WHERE file_id = ?`, fileID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
		}
		if err := shredFile(filepath.Join(p.dir, attachmentsDir, name)); err != nil {
			return err
		}
	}
	return nil
}
