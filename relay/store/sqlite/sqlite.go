package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/relay/store/internal/queuewrite"
	"github.com/sotto-im/sotto/relay/store/internal/wakeorder"
)

// Options tune the store; the zero value is the default.
type Options struct {
	// Window is the group-commit window (default 2 ms; negative: none).
	Window time.Duration
	// MaxBatch bounds one group commit (default 1024).
	MaxBatch int
	// Readers is the size of the read pool (default 4).
	Readers int
}

// Store implements store.Store on one SQLite file.
type Store struct {
	// Enqueue, Ack and their Async forms go through the group-commit writer.
	queuewrite.Writer

	w, r   *sql.DB
	batch  *batchStmts // the writer's multi-row statements
	device *sql.Stmt   // Device's read, on the read pool

	// seqs caches device_seqs.last_seq; only the writer goroutine (commit)
	// touches it.
	seqs map[api.Addr]uint64

	mu   sync.Mutex
	subs map[int]func(api.Addr, *store.Envelope)
	next int
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.AsyncWriter = (*Store)(nil)
	_ store.TokenReader = (*Store)(nil)
)

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if o.Window == 0 {
		o.Window = 2 * time.Millisecond
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 4096
	}
	if o.Readers == 0 {
		o.Readers = 4
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errors.New("sqlite: bad path")
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=cache_size(-65536)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	// 64 KiB pages: a group commit writes its WAL one frame (page) per
	// write(2); with 1 KiB envelopes, 4 KiB pages made that about a
	// thousand syscalls per commit. The page size must be set before WAL
	// mode (which fixes it), and applies to new databases only; modernc
	// runs DSN pragmas in lexicographic order, so both are set here.
	if _, err := w.ExecContext(ctx, `PRAGMA page_size = 65536`); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: page size: %w", err)
	}
	var mode string
	if err := w.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil || mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("sqlite: WAL mode not available (%q): %v", mode, err)
	}
	s := &Store{w: w, subs: map[int]func(api.Addr, *store.Envelope){}, seqs: map[api.Addr]uint64{}}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	s.r = r
	if s.batch, err = prepareBatchStmts(ctx, w); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	// Every sealed send whose recipient's token is not cached reads it.
	if s.device, err = r.PrepareContext(ctx, deviceSQL); err != nil {
		s.batch.close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	s.Writer = queuewrite.Start(s.commit, o.Window, o.MaxBatch)
	return s, nil
}

// migrations are applied in order; PRAGMA user_version records how many.
var migrations = []string{
	`CREATE TABLE accounts (
		handle_hash   BLOB PRIMARY KEY,
		skeleton_hash BLOB NOT NULL UNIQUE,
		identity_key  BLOB NOT NULL,
		created       INTEGER NOT NULL
	);
	CREATE TABLE devices (
		addr                BLOB PRIMARY KEY,
		handle_hash         BLOB NOT NULL REFERENCES accounts(handle_hash),
		certificate         BLOB NOT NULL,
		delivery_token_hash BLOB,
		last_seq            INTEGER NOT NULL DEFAULT 0,
		created             INTEGER NOT NULL
	);
	CREATE INDEX devices_by_handle ON devices(handle_hash);
	CREATE TABLE prekeys (
		addr BLOB NOT NULL REFERENCES devices(addr),
		kind INTEGER NOT NULL,
		id   INTEGER NOT NULL,
		data BLOB NOT NULL,
		PRIMARY KEY (addr, kind, id)
	);
	CREATE TABLE challenges (
		value   BLOB PRIMARY KEY,
		purpose INTEGER NOT NULL,
		addr    BLOB,
		expires INTEGER NOT NULL
	);
	CREATE TABLE envelopes (
		addr    BLOB NOT NULL,
		seq     INTEGER NOT NULL,
		id      BLOB NOT NULL,
		sender  BLOB,
		sent_at INTEGER NOT NULL,
		expires INTEGER NOT NULL,
		body    BLOB NOT NULL,
		PRIMARY KEY (addr, seq)
	);
	CREATE INDEX envelopes_by_expiry ON envelopes(expires);
	CREATE TABLE blobs (
		id      BLOB PRIMARY KEY,
		data    BLOB NOT NULL,
		expires INTEGER NOT NULL
	);
	CREATE TABLE secrets (
		name  TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);`,
	`CREATE TABLE kt_leaves (
		idx       INTEGER PRIMARY KEY,
		vrf_index BLOB NOT NULL,
		version   INTEGER NOT NULL,
		data      BLOB NOT NULL,
		UNIQUE (vrf_index, version)
	);
	CREATE TABLE kt_heads (
		size INTEGER PRIMARY KEY,
		data BLOB NOT NULL
	);
	CREATE TABLE kt_cosignatures (
		size    INTEGER NOT NULL REFERENCES kt_heads(size),
		witness BLOB NOT NULL,
		data    BLOB NOT NULL,
		PRIMARY KEY (size, witness)
	);`,
	// 3: each device's last sequence number moves to a narrow table. The
	// writer updates it for every device in every group commit; in the
	// devices rows (a certificate each) that dirtied — and wrote to the
	// WAL — most of the devices table's 64 KiB pages per commit.
	`CREATE TABLE device_seqs (
		addr     BLOB PRIMARY KEY,
		last_seq INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	INSERT INTO device_seqs(addr, last_seq) SELECT addr, last_seq FROM devices;
	ALTER TABLE devices DROP COLUMN last_seq;`,
}

// SchemaVersion is the number of migrations this build knows.
var SchemaVersion = len(migrations)

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.w.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("sqlite: database schema %d is newer than this relay (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", i+1, err)
		}
	}
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// CreateAccount implements store.Store.
func (s *Store) CreateAccount(ctx context.Context, a store.Account, d store.Device, prekeys []store.Prekey) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE handle_hash = ?`, a.HandleHash[:]).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: create account: %w", err)
	}
	if n > 0 {
		return store.ErrHandleTaken
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE skeleton_hash = ?`, a.SkeletonHash[:]).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: create account: %w", err)
	}
	if n > 0 {
		return store.ErrConfusable
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM devices WHERE addr = ?`, d.Addr[:]).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: create account: %w", err)
	}
	if n > 0 {
		return store.ErrDeviceExists
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts(handle_hash, skeleton_hash, identity_key, created) VALUES (?, ?, ?, ?)`,
		a.HandleHash[:], a.SkeletonHash[:], a.IdentityKey, ms(a.Created)); err != nil {
		if isUnique(err) {
			return store.ErrHandleTaken
		}
		return fmt.Errorf("sqlite: create account: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO devices(addr, handle_hash, certificate, delivery_token_hash, created) VALUES (?, ?, ?, ?, ?)`,
		d.Addr[:], a.HandleHash[:], d.Certificate, nullable(d.DeliveryTokenHash), ms(d.Created)); err != nil {
		if isUnique(err) {
			return store.ErrDeviceExists
		}
		return fmt.Errorf("sqlite: create device: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO device_seqs(addr) VALUES (?)`, d.Addr[:]); err != nil {
		return fmt.Errorf("sqlite: create device: %w", err)
	}
	if err := putPrekeys(ctx, tx, d.Addr, prekeys); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

func nullable(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func putPrekeys(ctx context.Context, tx *sql.Tx, addr api.Addr, prekeys []store.Prekey) error {
	for _, p := range prekeys {
		if p.Kind == store.PrekeySigned || p.Kind == store.PrekeyLastResort {
			if _, err := tx.ExecContext(ctx, `DELETE FROM prekeys WHERE addr = ? AND kind = ?`, addr[:], int(p.Kind)); err != nil {
				return fmt.Errorf("sqlite: put prekeys: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO prekeys(addr, kind, id, data) VALUES (?, ?, ?, ?)`,
			addr[:], int(p.Kind), int64(p.ID), p.Data); err != nil {
			return fmt.Errorf("sqlite: put prekeys: %w", err)
		}
	}
	return nil
}

// Account implements store.Store.
func (s *Store) Account(ctx context.Context, h handle.Hash) (store.Account, []store.Device, error) {
	a := store.Account{HandleHash: h}
	var sk []byte
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT skeleton_hash, identity_key, created FROM accounts WHERE handle_hash = ?`, h[:]).
		Scan(&sk, &a.IdentityKey, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Account{}, nil, store.ErrNotFound
	}
	if err != nil {
		return store.Account{}, nil, fmt.Errorf("sqlite: account: %w", err)
	}
	copy(a.SkeletonHash[:], sk)
	a.Created = fromMS(created)
	rows, err := s.r.QueryContext(ctx, `SELECT addr, certificate, delivery_token_hash, created FROM devices WHERE handle_hash = ? ORDER BY created, addr`, h[:])
	if err != nil {
		return store.Account{}, nil, fmt.Errorf("sqlite: devices: %w", err)
	}
	defer rows.Close()
	var ds []store.Device
	for rows.Next() {
		d := store.Device{HandleHash: h}
		var addr []byte
		if err := rows.Scan(&addr, &d.Certificate, &d.DeliveryTokenHash, &created); err != nil {
			return store.Account{}, nil, fmt.Errorf("sqlite: devices: %w", err)
		}
		copy(d.Addr[:], addr)
		d.Created = fromMS(created)
		ds = append(ds, d)
	}
	return a, ds, rows.Err()
}

const deviceSQL = `SELECT handle_hash, certificate, delivery_token_hash, created FROM devices WHERE addr = ?`

// Device implements store.Store.
func (s *Store) Device(ctx context.Context, addr api.Addr) (store.Device, error) {
	d := store.Device{Addr: addr}
	var hh []byte
	var created int64
	err := s.device.QueryRowContext(ctx, addr[:]).Scan(&hh, &d.Certificate, &d.DeliveryTokenHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Device{}, store.ErrNotFound
	}
	if err != nil {
		return store.Device{}, fmt.Errorf("sqlite: device: %w", err)
	}
	copy(d.HandleHash[:], hh)
	d.Created = fromMS(created)
	return d, nil
}

// DeliveryTokenHashes implements store.TokenReader on the read pool, a
// chunk of addresses per statement.
func (s *Store) DeliveryTokenHashes(ctx context.Context, addrs []api.Addr) (map[api.Addr][]byte, error) {
	out := make(map[api.Addr][]byte, len(addrs))
	for len(addrs) > 0 {
		n := min(len(addrs), maxTokenChunk)
		args := make([]any, n)
		for i := range n {
			args[i] = addrs[i][:]
		}
		rows, err := s.r.QueryContext(ctx, `SELECT addr, delivery_token_hash FROM devices WHERE addr IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: delivery tokens: %w", err)
		}
		for rows.Next() {
			var a, h []byte
			if err := rows.Scan(&a, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: delivery tokens: %w", err)
			}
			if len(a) != len(api.Addr{}) {
				continue // not an address this relay wrote
			}
			out[api.Addr(a)] = h
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sqlite: delivery tokens: %w", err)
		}
		addrs = addrs[n:]
	}
	return out, nil
}

// maxTokenChunk bounds the parameters of one DeliveryTokenHashes query.
const maxTokenChunk = 500

// SetDeliveryToken implements store.Store.
func (s *Store) SetDeliveryToken(ctx context.Context, addr api.Addr, tokenHash []byte) error {
	res, err := s.w.ExecContext(ctx, `UPDATE devices SET delivery_token_hash = ? WHERE addr = ?`, nullable(tokenHash), addr[:])
	if err != nil {
		return fmt.Errorf("sqlite: set delivery token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// PutPrekeys implements store.Store.
func (s *Store) PutPrekeys(ctx context.Context, addr api.Addr, prekeys []store.Prekey) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM devices WHERE addr = ?`, addr[:]).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: put prekeys: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	if err := putPrekeys(ctx, tx, addr, prekeys); err != nil {
		return err
	}
	return tx.Commit()
}

// TakePrekeys implements store.Store.
func (s *Store) TakePrekeys(ctx context.Context, addr api.Addr) (store.Prekeys, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.Prekeys{}, fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	var p store.Prekeys
	rows, err := tx.QueryContext(ctx, `SELECT kind, data FROM prekeys WHERE addr = ? AND kind IN (?, ?)`, addr[:], int(store.PrekeySigned), int(store.PrekeyLastResort))
	if err != nil {
		return store.Prekeys{}, fmt.Errorf("sqlite: take prekeys: %w", err)
	}
	for rows.Next() {
		var kind int
		var data []byte
		if err := rows.Scan(&kind, &data); err != nil {
			rows.Close()
			return store.Prekeys{}, fmt.Errorf("sqlite: take prekeys: %w", err)
		}
		if store.PrekeyKind(kind) == store.PrekeySigned {
			p.Signed = data
		} else {
			p.LastResort = data
		}
	}
	rows.Close()
	if p.Signed == nil || p.LastResort == nil {
		return store.Prekeys{}, store.ErrNotFound
	}
	for _, k := range []struct {
		kind store.PrekeyKind
		dst  *[]byte
	}{{store.PrekeyOneTime, &p.OneTime}, {store.PrekeyOneTimePQ, &p.OneTimePQ}} {
		err := tx.QueryRowContext(ctx, `DELETE FROM prekeys WHERE rowid = (SELECT rowid FROM prekeys WHERE addr = ? AND kind = ? ORDER BY id LIMIT 1) RETURNING data`,
			addr[:], int(k.kind)).Scan(k.dst)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return store.Prekeys{}, fmt.Errorf("sqlite: take prekeys: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return store.Prekeys{}, fmt.Errorf("sqlite: commit: %w", err)
	}
	return p, nil
}

// CountPrekeys implements store.Store.
func (s *Store) CountPrekeys(ctx context.Context, addr api.Addr) (store.PrekeyCount, error) {
	var c store.PrekeyCount
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM prekeys WHERE addr = ?1 AND kind = ?2),
		(SELECT count(*) FROM prekeys WHERE addr = ?1 AND kind = ?3)`,
		addr[:], int(store.PrekeyOneTime), int(store.PrekeyOneTimePQ)).Scan(&c.OneTime, &c.OneTimePQ)
	if err != nil {
		return c, fmt.Errorf("sqlite: count prekeys: %w", err)
	}
	return c, nil
}

// PutChallenge implements store.Store.
func (s *Store) PutChallenge(ctx context.Context, c store.Challenge) error {
	var addr any
	if c.Device != (api.Addr{}) {
		addr = c.Device[:]
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO challenges(value, purpose, addr, expires) VALUES (?, ?, ?, ?)`,
		c.Value[:], int(c.Purpose), addr, ms(c.Expires)); err != nil {
		return fmt.Errorf("sqlite: put challenge: %w", err)
	}
	return nil
}

// TakeChallenge implements store.Store.
func (s *Store) TakeChallenge(ctx context.Context, value []byte, purpose store.ChallengePurpose, now time.Time) (store.Challenge, error) {
	var addr []byte
	var expires int64
	err := s.w.QueryRowContext(ctx, `DELETE FROM challenges WHERE value = ? AND purpose = ? RETURNING addr, expires`, value, int(purpose)).
		Scan(&addr, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Challenge{}, store.ErrNotFound
	}
	if err != nil {
		return store.Challenge{}, fmt.Errorf("sqlite: take challenge: %w", err)
	}
	c := store.Challenge{Purpose: purpose, Expires: fromMS(expires)}
	copy(c.Value[:], value)
	copy(c.Device[:], addr)
	if !now.Before(c.Expires) {
		return store.Challenge{}, store.ErrNotFound
	}
	return c, nil
}

// commit runs one batch in one transaction with a few multi-row
// statements, whatever the batch size: the writer assigns sequence numbers
// itself (it is the only writer of last_seq, and seqs caches the values it
// has read or written), inserts the envelopes, stores each device's new
// last_seq and applies the acks.
func (s *Store) commit(batch []*queuewrite.Request) error {
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tx.Rollback()
			// Sequence numbers handed out in this batch were not stored.
			s.seqs = map[api.Addr]uint64{}
		}
	}()
	// 1. Current last_seq of the batch's devices not yet cached.
	var missing []any
	seen := map[api.Addr]bool{}
	for _, r := range batch {
		if r.In.Kind != queuewrite.Enqueue {
			continue
		}
		a := r.In.Env.To
		if _, ok := s.seqs[a]; !ok && !seen[a] {
			seen[a] = true
			missing = append(missing, a[:])
		}
	}
	err = s.batch.chunks(ctx, tx, batchReadSeqs, missing, func(st *sql.Stmt, args []any) error {
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			var n int64
			if err := rows.Scan(&b, &n); err != nil {
				return err
			}
			var a api.Addr
			copy(a[:], b)
			s.seqs[a] = uint64(n)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("sqlite: read sequences: %w", err)
	}
	// 2. Number the envelopes in arrival order and insert them.
	var ins []any
	touched := map[api.Addr]bool{}
	for _, r := range batch {
		if r.In.Kind != queuewrite.Enqueue {
			continue
		}
		e := &r.In.Env
		last, known := s.seqs[e.To]
		if !known {
			r.Err = store.ErrNotFound
			continue
		}
		last++
		s.seqs[e.To] = last
		touched[e.To] = true
		r.Result = last
		var sender any
		if e.Sender != nil {
			sender = e.Sender[:]
		}
		ins = append(ins, e.To[:], int64(last), e.ID[:], sender, ms(e.SentAt), ms(e.Expires), e.Body)
	}
	if err := s.batch.insertEnvelopes(ctx, tx, ins); err != nil {
		return fmt.Errorf("sqlite: enqueue: %w", err)
	}
	// 3. Each touched device's new last_seq.
	var upd []any
	for a := range touched {
		upd = append(upd, a[:], int64(s.seqs[a]))
	}
	if err := s.batch.exec(ctx, tx, batchSetSeqs, upd); err != nil {
		return fmt.Errorf("sqlite: store sequences: %w", err)
	}
	// 4. Acks.
	var acks []any
	for _, r := range batch {
		if r.In.Kind == queuewrite.Ack {
			acks = append(acks, r.In.Addr[:], int64(r.In.UpTo))
		}
	}
	if err := s.batch.exec(ctx, tx, batchAck, acks); err != nil {
		return fmt.Errorf("sqlite: ack: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	ok = true
	if len(s.seqs) > maxSeqCache {
		s.seqs = map[api.Addr]uint64{}
	}
	s.mu.Lock()
	subs := make([]func(api.Addr, *store.Envelope), 0, len(s.subs))
	for _, f := range s.subs {
		subs = append(subs, f)
	}
	s.mu.Unlock()
	if len(subs) > 0 {
		envs := make([]store.Envelope, 0, len(batch))
		for _, r := range batch {
			if r.In.Kind == queuewrite.Enqueue && r.Err == nil {
				e := r.In.Env
				e.Seq = r.Result
				envs = append(envs, e)
			}
		}
		wakeorder.Wake(envs, subs)
	}
	return nil
}

// maxSeqCache bounds the writer's sequence cache (entries are ~40 bytes).
const maxSeqCache = 1 << 20

// Fetch implements store.Store.
func (s *Store) Fetch(ctx context.Context, addr api.Addr, after uint64, limit int, now time.Time) ([]store.Envelope, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, id, sender, sent_at, expires, body FROM envelopes
		WHERE addr = ? AND seq > ? AND expires > ? ORDER BY seq LIMIT ?`, addr[:], int64(after), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: fetch: %w", err)
	}
	defer rows.Close()
	var out []store.Envelope
	for rows.Next() {
		e := store.Envelope{To: addr}
		var seq, sent, exp int64
		var id, sender []byte
		if err := rows.Scan(&seq, &id, &sender, &sent, &exp, &e.Body); err != nil {
			return nil, fmt.Errorf("sqlite: fetch: %w", err)
		}
		e.Seq = uint64(seq)
		copy(e.ID[:], id)
		if sender != nil {
			var a api.Addr
			copy(a[:], sender)
			e.Sender = &a
		}
		e.SentAt, e.Expires = fromMS(sent), fromMS(exp)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastSeq implements store.Store.
func (s *Store) LastSeq(ctx context.Context, addr api.Addr) (uint64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT last_seq FROM device_seqs WHERE addr = ?`, addr[:]).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: last seq: %w", err)
	}
	return uint64(n), nil
}

// PutBlob implements store.Store.
func (s *Store) PutBlob(ctx context.Context, b store.Blob) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO blobs(id, data, expires) VALUES (?, ?, ?)`, b.ID[:], b.Data, ms(b.Expires)); err != nil {
		return fmt.Errorf("sqlite: put blob: %w", err)
	}
	return nil
}

// GetBlob implements store.Store.
func (s *Store) GetBlob(ctx context.Context, id api.BlobID, now time.Time) (store.Blob, error) {
	b := store.Blob{ID: id}
	var exp int64
	err := s.r.QueryRowContext(ctx, `SELECT data, expires FROM blobs WHERE id = ? AND expires > ?`, id[:], ms(now)).Scan(&b.Data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Blob{}, store.ErrNotFound
	}
	if err != nil {
		return store.Blob{}, fmt.Errorf("sqlite: get blob: %w", err)
	}
	b.Expires = fromMS(exp)
	return b, nil
}

// RelaySecret implements store.Store.
func (s *Store) RelaySecret(ctx context.Context, name string, generate func() []byte) ([]byte, error) {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO secrets(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, name, generate()); err != nil {
		return nil, fmt.Errorf("sqlite: relay secret: %w", err)
	}
	var v []byte
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("sqlite: relay secret: %w", err)
	}
	return v, nil
}

// Expire implements store.Store.
func (s *Store) Expire(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM envelopes WHERE expires <= ?`, ms(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: expire: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.w.ExecContext(ctx, `DELETE FROM challenges WHERE expires <= ?`, ms(now)); err != nil {
		return n, fmt.Errorf("sqlite: expire: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM blobs WHERE expires <= ?`, ms(now)); err != nil {
		return n, fmt.Errorf("sqlite: expire: %w", err)
	}
	return n, nil
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM envelopes), (SELECT count(*) FROM accounts), (SELECT count(*) FROM devices)`).
		Scan(&st.Envelopes, &st.Accounts, &st.Devices)
	if err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	return st, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// SetPresence implements store.Store; one node holds every connection, so
// there is nothing to record.
func (s *Store) SetPresence(ctx context.Context, addr api.Addr, node string, online bool) error {
	return nil
}

// Subscribe implements store.Store: wake is called after each commit for
// every recipient in it, whatever the node.
func (s *Store) Subscribe(ctx context.Context, node string, wake func(api.Addr, *store.Envelope)) error {
	s.mu.Lock()
	id := s.next
	s.next++
	s.subs[id] = wake
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	delete(s.subs, id)
	s.mu.Unlock()
	return nil
}

// Close stops the writer and closes the database.
func (s *Store) Close() error {
	s.Writer.Stop()
	if s.batch != nil {
		s.batch.close()
	}
	if s.device != nil {
		s.device.Close()
	}
	if s.r != nil {
		s.r.Close()
	}
	return s.w.Close()
}
