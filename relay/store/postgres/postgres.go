package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/relay/store/internal/queuewrite"
	"github.com/sotto-im/sotto/relay/store/internal/wakeorder"
)

// Options tune the store.
type Options struct {
	Window   time.Duration // group-commit window (default 2 ms)
	MaxBatch int           // default 1024
	MaxConns int32         // pool size (default 16)
}

// Store implements store.Store on PostgreSQL.
type Store struct {
	// Enqueue, Ack and their Async forms go through the group-commit writer.
	queuewrite.Writer

	pool *pgxpool.Pool

	// Subscribers in this process get committed envelopes handed over
	// directly (no NOTIFY to their own node, no read back).
	mu    sync.Mutex
	local map[int]localSub
	next  int
}

type localSub struct {
	node string
	wake func(api.Addr, *store.Envelope)
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.AsyncWriter = (*Store)(nil)
	_ store.TokenReader = (*Store)(nil)
)

// Open connects, migrates and starts the group-commit writer.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	if o.Window == 0 {
		o.Window = 2 * time.Millisecond
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 4096
	}
	if o.MaxConns == 0 {
		o.MaxConns = 16
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("postgres: malformed DSN") // never echo it: it may hold a password
	}
	cfg.MaxConns = o.MaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, local: map[int]localSub{}}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.Writer = queuewrite.Start(s.commit, o.Window, o.MaxBatch)
	return s, nil
}

var migrations = []string{
	`CREATE TABLE accounts (
		handle_hash   bytea PRIMARY KEY,
		skeleton_hash bytea NOT NULL UNIQUE,
		identity_key  bytea NOT NULL,
		created       timestamptz NOT NULL
	);
	CREATE TABLE devices (
		addr                bytea PRIMARY KEY,
		handle_hash         bytea NOT NULL REFERENCES accounts(handle_hash),
		certificate         bytea NOT NULL,
		delivery_token_hash bytea,
		last_seq            bigint NOT NULL DEFAULT 0,
		created             timestamptz NOT NULL
	);
	CREATE INDEX devices_by_handle ON devices(handle_hash);
	CREATE TABLE prekeys (
		addr bytea NOT NULL REFERENCES devices(addr),
		kind smallint NOT NULL,
		id   bigint NOT NULL,
		data bytea NOT NULL,
		PRIMARY KEY (addr, kind, id)
	);
	CREATE TABLE challenges (
		value   bytea PRIMARY KEY,
		purpose smallint NOT NULL,
		addr    bytea,
		expires timestamptz NOT NULL
	);
	CREATE TABLE envelopes (
		addr    bytea NOT NULL,
		seq     bigint NOT NULL,
		id      bytea NOT NULL,
		sender  bytea,
		sent_at timestamptz NOT NULL,
		expires timestamptz NOT NULL,
		body    bytea NOT NULL,
		PRIMARY KEY (addr, seq)
	);
	CREATE INDEX envelopes_by_expiry ON envelopes(expires);
	CREATE TABLE blobs (
		id      bytea PRIMARY KEY,
		data    bytea NOT NULL,
		expires timestamptz NOT NULL
	);
	CREATE TABLE secrets (
		name  text PRIMARY KEY,
		value bytea NOT NULL
	);
	CREATE TABLE presence (
		addr    bytea PRIMARY KEY,
		node    text NOT NULL,
		updated timestamptz NOT NULL
	);`,
	`CREATE TABLE kt_leaves (
		idx       bigint PRIMARY KEY,
		vrf_index bytea NOT NULL,
		version   bigint NOT NULL,
		data      bytea NOT NULL,
		UNIQUE (vrf_index, version)
	);
	CREATE TABLE kt_heads (
		size bigint PRIMARY KEY,
		data bytea NOT NULL
	);
	CREATE TABLE kt_cosignatures (
		size    bigint NOT NULL REFERENCES kt_heads(size),
		witness bytea NOT NULL,
		data    bytea NOT NULL,
		PRIMARY KEY (size, witness)
	);`,
	// 3: each device's last sequence number moves to a narrow table. The
	// enqueue statement bumps it for every device in every group commit;
	// in the devices rows (a certificate each) every bump wrote a new
	// version of the whole row.
	`CREATE TABLE device_seqs (
		addr     bytea PRIMARY KEY,
		last_seq bigint NOT NULL DEFAULT 0
	);
	INSERT INTO device_seqs(addr, last_seq) SELECT addr, last_seq FROM devices;
	ALTER TABLE devices DROP COLUMN last_seq;`,
}

// SchemaVersion is the number of migrations this build knows.
var SchemaVersion = len(migrations)

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// Nodes starting together migrate one at a time.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(1936684143)`); err != nil {
		return fmt.Errorf("postgres: migrate lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS relay_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var v int
	err = tx.QueryRow(ctx, `SELECT version FROM relay_schema`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := tx.Exec(ctx, `INSERT INTO relay_schema(version) VALUES (0)`); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("postgres: read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("postgres: database schema %d is newer than this relay (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("postgres: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE relay_schema SET version = $1`, len(migrations)); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return tx.Commit(ctx)
}

func uniqueViolation(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

// CreateAccount implements store.Store.
func (s *Store) CreateAccount(ctx context.Context, a store.Account, d store.Device, prekeys []store.Prekey) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO accounts(handle_hash, skeleton_hash, identity_key, created) VALUES ($1, $2, $3, $4)`,
		a.HandleHash[:], a.SkeletonHash[:], a.IdentityKey, a.Created); err != nil {
		switch uniqueViolation(err) {
		case "accounts_pkey":
			return store.ErrHandleTaken
		case "accounts_skeleton_hash_key":
			return store.ErrConfusable
		}
		return fmt.Errorf("postgres: create account: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO devices(addr, handle_hash, certificate, delivery_token_hash, created) VALUES ($1, $2, $3, $4, $5)`,
		d.Addr[:], a.HandleHash[:], d.Certificate, d.DeliveryTokenHash, d.Created); err != nil {
		if uniqueViolation(err) == "devices_pkey" {
			return store.ErrDeviceExists
		}
		return fmt.Errorf("postgres: create device: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO device_seqs(addr) VALUES ($1)`, d.Addr[:]); err != nil {
		return fmt.Errorf("postgres: create device: %w", err)
	}
	if err := putPrekeys(ctx, tx, d.Addr, prekeys); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

func putPrekeys(ctx context.Context, tx pgx.Tx, addr api.Addr, prekeys []store.Prekey) error {
	for _, p := range prekeys {
		if p.Kind == store.PrekeySigned || p.Kind == store.PrekeyLastResort {
			if _, err := tx.Exec(ctx, `DELETE FROM prekeys WHERE addr = $1 AND kind = $2`, addr[:], int(p.Kind)); err != nil {
				return fmt.Errorf("postgres: put prekeys: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO prekeys(addr, kind, id, data) VALUES ($1, $2, $3, $4)
			ON CONFLICT (addr, kind, id) DO UPDATE SET data = EXCLUDED.data`, addr[:], int(p.Kind), int64(p.ID), p.Data); err != nil {
			return fmt.Errorf("postgres: put prekeys: %w", err)
		}
	}
	return nil
}

// Account implements store.Store.
func (s *Store) Account(ctx context.Context, h handle.Hash) (store.Account, []store.Device, error) {
	a := store.Account{HandleHash: h}
	var sk []byte
	err := s.pool.QueryRow(ctx, `SELECT skeleton_hash, identity_key, created FROM accounts WHERE handle_hash = $1`, h[:]).
		Scan(&sk, &a.IdentityKey, &a.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Account{}, nil, store.ErrNotFound
	}
	if err != nil {
		return store.Account{}, nil, fmt.Errorf("postgres: account: %w", err)
	}
	copy(a.SkeletonHash[:], sk)
	rows, err := s.pool.Query(ctx, `SELECT addr, certificate, delivery_token_hash, created FROM devices WHERE handle_hash = $1 ORDER BY created, addr`, h[:])
	if err != nil {
		return store.Account{}, nil, fmt.Errorf("postgres: devices: %w", err)
	}
	defer rows.Close()
	var ds []store.Device
	for rows.Next() {
		d := store.Device{HandleHash: h}
		var addr []byte
		if err := rows.Scan(&addr, &d.Certificate, &d.DeliveryTokenHash, &d.Created); err != nil {
			return store.Account{}, nil, fmt.Errorf("postgres: devices: %w", err)
		}
		copy(d.Addr[:], addr)
		ds = append(ds, d)
	}
	return a, ds, rows.Err()
}

// Device implements store.Store.
func (s *Store) Device(ctx context.Context, addr api.Addr) (store.Device, error) {
	d := store.Device{Addr: addr}
	var hh []byte
	err := s.pool.QueryRow(ctx, `SELECT handle_hash, certificate, delivery_token_hash, created FROM devices WHERE addr = $1`, addr[:]).
		Scan(&hh, &d.Certificate, &d.DeliveryTokenHash, &d.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Device{}, store.ErrNotFound
	}
	if err != nil {
		return store.Device{}, fmt.Errorf("postgres: device: %w", err)
	}
	copy(d.HandleHash[:], hh)
	return d, nil
}

// DeliveryTokenHashes implements store.TokenReader.
func (s *Store) DeliveryTokenHashes(ctx context.Context, addrs []api.Addr) (map[api.Addr][]byte, error) {
	keys := make([][]byte, len(addrs))
	for i := range addrs {
		keys[i] = addrs[i][:]
	}
	rows, err := s.pool.Query(ctx, `SELECT addr, delivery_token_hash FROM devices WHERE addr = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: delivery tokens: %w", err)
	}
	defer rows.Close()
	out := make(map[api.Addr][]byte, len(addrs))
	for rows.Next() {
		var a, h []byte
		if err := rows.Scan(&a, &h); err != nil {
			return nil, fmt.Errorf("postgres: delivery tokens: %w", err)
		}
		if len(a) != len(api.Addr{}) {
			continue // not an address this relay wrote
		}
		out[api.Addr(a)] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: delivery tokens: %w", err)
	}
	return out, nil
}

// SetDeliveryToken implements store.Store.
func (s *Store) SetDeliveryToken(ctx context.Context, addr api.Addr, tokenHash []byte) error {
	tag, err := s.pool.Exec(ctx, `UPDATE devices SET delivery_token_hash = $1 WHERE addr = $2`, tokenHash, addr[:])
	if err != nil {
		return fmt.Errorf("postgres: set delivery token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// PutPrekeys implements store.Store.
func (s *Store) PutPrekeys(ctx context.Context, addr api.Addr, prekeys []store.Prekey) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM devices WHERE addr = $1`, addr[:]).Scan(&n); err != nil {
		return fmt.Errorf("postgres: put prekeys: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	if err := putPrekeys(ctx, tx, addr, prekeys); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// TakePrekeys implements store.Store.
func (s *Store) TakePrekeys(ctx context.Context, addr api.Addr) (store.Prekeys, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return store.Prekeys{}, fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var p store.Prekeys
	rows, err := tx.Query(ctx, `SELECT kind, data FROM prekeys WHERE addr = $1 AND kind IN ($2, $3)`, addr[:], int(store.PrekeySigned), int(store.PrekeyLastResort))
	if err != nil {
		return store.Prekeys{}, fmt.Errorf("postgres: take prekeys: %w", err)
	}
	for rows.Next() {
		var kind int
		var data []byte
		if err := rows.Scan(&kind, &data); err != nil {
			rows.Close()
			return store.Prekeys{}, fmt.Errorf("postgres: take prekeys: %w", err)
		}
		if store.PrekeyKind(kind) == store.PrekeySigned {
			p.Signed = data
		} else {
			p.LastResort = data
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.Prekeys{}, fmt.Errorf("postgres: take prekeys: %w", err)
	}
	if p.Signed == nil || p.LastResort == nil {
		return store.Prekeys{}, store.ErrNotFound
	}
	for _, k := range []struct {
		kind store.PrekeyKind
		dst  *[]byte
	}{{store.PrekeyOneTime, &p.OneTime}, {store.PrekeyOneTimePQ, &p.OneTimePQ}} {
		err := tx.QueryRow(ctx, `DELETE FROM prekeys WHERE (addr, kind, id) = (
			SELECT addr, kind, id FROM prekeys WHERE addr = $1 AND kind = $2 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING data`, addr[:], int(k.kind)).Scan(k.dst)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return store.Prekeys{}, fmt.Errorf("postgres: take prekeys: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return store.Prekeys{}, fmt.Errorf("postgres: commit: %w", err)
	}
	return p, nil
}

// CountPrekeys implements store.Store.
func (s *Store) CountPrekeys(ctx context.Context, addr api.Addr) (store.PrekeyCount, error) {
	var c store.PrekeyCount
	err := s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE kind = $2), count(*) FILTER (WHERE kind = $3)
		FROM prekeys WHERE addr = $1`, addr[:], int(store.PrekeyOneTime), int(store.PrekeyOneTimePQ)).Scan(&c.OneTime, &c.OneTimePQ)
	if err != nil {
		return c, fmt.Errorf("postgres: count prekeys: %w", err)
	}
	return c, nil
}

// PutChallenge implements store.Store.
func (s *Store) PutChallenge(ctx context.Context, c store.Challenge) error {
	var addr []byte
	if c.Device != (api.Addr{}) {
		addr = c.Device[:]
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO challenges(value, purpose, addr, expires) VALUES ($1, $2, $3, $4)`,
		c.Value[:], int(c.Purpose), addr, c.Expires); err != nil {
		return fmt.Errorf("postgres: put challenge: %w", err)
	}
	return nil
}

// TakeChallenge implements store.Store.
func (s *Store) TakeChallenge(ctx context.Context, value []byte, purpose store.ChallengePurpose, now time.Time) (store.Challenge, error) {
	var addr []byte
	c := store.Challenge{Purpose: purpose}
	err := s.pool.QueryRow(ctx, `DELETE FROM challenges WHERE value = $1 AND purpose = $2 RETURNING addr, expires`, value, int(purpose)).
		Scan(&addr, &c.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Challenge{}, store.ErrNotFound
	}
	if err != nil {
		return store.Challenge{}, fmt.Errorf("postgres: take challenge: %w", err)
	}
	copy(c.Value[:], value)
	copy(c.Device[:], addr)
	if !now.Before(c.Expires) {
		return store.Challenge{}, store.ErrNotFound
	}
	return c, nil
}

// enqueueSQL stores a whole batch in one statement: it numbers each
// device's envelopes after its last_seq in arrival order (ord) and bumps
// last_seq once per device. Envelopes for unknown devices join no
// device_seqs row and are not inserted.
const enqueueSQL = `WITH input AS (
		SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::timestamptz[], $5::timestamptz[], $6::bytea[], $7::int[])
			AS t(addr, id, sender, sent_at, expires, body, ord)
	), counts AS (
		SELECT addr, count(*)::bigint AS n FROM input GROUP BY addr
	), upd AS (
		UPDATE device_seqs d SET last_seq = d.last_seq + c.n FROM counts c WHERE d.addr = c.addr
		RETURNING d.addr, d.last_seq - c.n AS base
	)
	INSERT INTO envelopes(addr, seq, id, sender, sent_at, expires, body)
	SELECT i.addr, u.base + row_number() OVER (PARTITION BY i.addr ORDER BY i.ord), i.id, i.sender, i.sent_at, i.expires, i.body
	FROM input i JOIN upd u ON u.addr = i.addr
	RETURNING id, seq`

// lockSQL locks the batch's device_seqs rows in address order first, so
// batches committed by different nodes cannot deadlock.
const lockSQL = `SELECT addr FROM device_seqs WHERE addr = ANY($1) ORDER BY addr FOR UPDATE`

const ackSQL = `DELETE FROM envelopes e USING unnest($1::bytea[], $2::bigint[]) AS a(addr, upto)
	WHERE e.addr = a.addr AND e.seq <= a.upto`

// commit runs one batch in one transaction as one pipelined round trip of
// at most four statements, whatever the batch size. NOTIFYs for devices
// held by other nodes are queued in the same transaction and sent by
// PostgreSQL at commit; this process's nodes get the envelopes directly.
func (s *Store) commit(batch []*queuewrite.Request) error {
	ctx := context.Background()
	var (
		addrs, ids, senders, bodies [][]byte
		sentAts, expires            []time.Time
		ords                        []int32
		ackAddrs                    [][]byte
		ackUpTo                     []int64
		byID                        = map[api.EnvelopeID]*queuewrite.Request{}
		distinct                    = map[api.Addr]bool{}
		lockAddrs                   [][]byte
	)
	for i, r := range batch {
		switch r.In.Kind {
		case queuewrite.Enqueue:
			e := &r.In.Env
			var sender []byte
			if e.Sender != nil {
				sender = e.Sender[:]
			}
			addrs = append(addrs, e.To[:])
			ids = append(ids, e.ID[:])
			senders = append(senders, sender)
			sentAts = append(sentAts, e.SentAt)
			expires = append(expires, e.Expires)
			bodies = append(bodies, e.Body)
			ords = append(ords, int32(i))
			byID[e.ID] = r
			r.Err = store.ErrNotFound // until its row comes back
			if !distinct[e.To] {
				distinct[e.To] = true
				lockAddrs = append(lockAddrs, e.To[:])
			}
		case queuewrite.Ack:
			ackAddrs = append(ackAddrs, r.In.Addr[:])
			ackUpTo = append(ackUpTo, int64(r.In.UpTo))
		}
	}
	s.mu.Lock()
	subs := make([]localSub, 0, len(s.local))
	localNodes := make([]string, 0, len(s.local))
	for _, l := range s.local {
		subs = append(subs, l)
		localNodes = append(localNodes, l.node)
	}
	s.mu.Unlock()

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	if len(addrs) > 0 {
		b.Queue(lockSQL, lockAddrs)
		b.Queue(enqueueSQL, addrs, ids, senders, sentAts, expires, bodies, ords)
		b.Queue(`SELECT pg_notify('sotto_wake_' || node, encode(addr, 'hex')) FROM presence
			WHERE addr = ANY($1) AND NOT node = ANY($2)`, lockAddrs, localNodes)
	}
	if len(ackAddrs) > 0 {
		b.Queue(ackSQL, ackAddrs, ackUpTo)
	}
	br := tx.SendBatch(ctx, b)
	fail := func(what string, err error) error {
		br.Close()
		for _, r := range batch {
			r.Err = nil // the batch error applies to all
		}
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if len(addrs) > 0 {
		if _, err := br.Exec(); err != nil {
			return fail("lock devices", err)
		}
		rows, err := br.Query()
		if err != nil {
			return fail("enqueue", err)
		}
		for rows.Next() {
			var id []byte
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				rows.Close()
				return fail("enqueue", err)
			}
			var eid api.EnvelopeID
			copy(eid[:], id)
			if r := byID[eid]; r != nil {
				r.Result, r.Err = uint64(seq), nil
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fail("enqueue", err)
		}
		if _, err := br.Exec(); err != nil {
			return fail("notify", err)
		}
	}
	if len(ackAddrs) > 0 {
		if _, err := br.Exec(); err != nil {
			return fail("ack", err)
		}
	}
	if err := br.Close(); err != nil {
		return fail("batch", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	if len(subs) > 0 {
		// From batch order, so a device's envelopes arrive with increasing
		// sequence numbers.
		envs := make([]store.Envelope, 0, len(batch))
		for _, r := range batch {
			if r.In.Kind == queuewrite.Enqueue && r.Err == nil {
				e := r.In.Env
				e.Seq = r.Result
				envs = append(envs, e)
			}
		}
		wakes := make([]func(api.Addr, *store.Envelope), len(subs))
		for i, l := range subs {
			wakes[i] = l.wake
		}
		wakeorder.Wake(envs, wakes)
	}
	return nil
}

// Fetch implements store.Store.
func (s *Store) Fetch(ctx context.Context, addr api.Addr, after uint64, limit int, now time.Time) ([]store.Envelope, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, id, sender, sent_at, expires, body FROM envelopes
		WHERE addr = $1 AND seq > $2 AND expires > $3 ORDER BY seq LIMIT $4`, addr[:], int64(after), now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: fetch: %w", err)
	}
	defer rows.Close()
	var out []store.Envelope
	for rows.Next() {
		e := store.Envelope{To: addr}
		var seq int64
		var id, sender []byte
		if err := rows.Scan(&seq, &id, &sender, &e.SentAt, &e.Expires, &e.Body); err != nil {
			return nil, fmt.Errorf("postgres: fetch: %w", err)
		}
		e.Seq = uint64(seq)
		copy(e.ID[:], id)
		if sender != nil {
			var a api.Addr
			copy(a[:], sender)
			e.Sender = &a
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastSeq implements store.Store.
func (s *Store) LastSeq(ctx context.Context, addr api.Addr) (uint64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT last_seq FROM device_seqs WHERE addr = $1`, addr[:]).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: last seq: %w", err)
	}
	return uint64(n), nil
}

// PutBlob implements store.Store.
func (s *Store) PutBlob(ctx context.Context, b store.Blob) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO blobs(id, data, expires) VALUES ($1, $2, $3)`, b.ID[:], b.Data, b.Expires); err != nil {
		return fmt.Errorf("postgres: put blob: %w", err)
	}
	return nil
}

// GetBlob implements store.Store.
func (s *Store) GetBlob(ctx context.Context, id api.BlobID, now time.Time) (store.Blob, error) {
	b := store.Blob{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT data, expires FROM blobs WHERE id = $1 AND expires > $2`, id[:], now).Scan(&b.Data, &b.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Blob{}, store.ErrNotFound
	}
	if err != nil {
		return store.Blob{}, fmt.Errorf("postgres: get blob: %w", err)
	}
	return b, nil
}

// RelaySecret implements store.Store.
func (s *Store) RelaySecret(ctx context.Context, name string, generate func() []byte) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets(name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, generate()); err != nil {
		return nil, fmt.Errorf("postgres: relay secret: %w", err)
	}
	var v []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("postgres: relay secret: %w", err)
	}
	return v, nil
}

// Expire implements store.Store.
func (s *Store) Expire(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM envelopes WHERE expires <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("postgres: expire: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM challenges WHERE expires <= $1`, now); err != nil {
		return tag.RowsAffected(), fmt.Errorf("postgres: expire: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM blobs WHERE expires <= $1`, now); err != nil {
		return tag.RowsAffected(), fmt.Errorf("postgres: expire: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM envelopes), (SELECT count(*) FROM accounts), (SELECT count(*) FROM devices)`).
		Scan(&st.Envelopes, &st.Accounts, &st.Devices)
	if err != nil {
		return st, fmt.Errorf("postgres: stats: %w", err)
	}
	return st, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// channel is the NOTIFY channel of a node; node ids are reduced to
// [a-z0-9_] so the name is a plain identifier.
func channel(node string) string {
	var b strings.Builder
	b.WriteString("sotto_wake_")
	for _, r := range strings.ToLower(node) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		}
		if b.Len() >= 60 {
			break
		}
	}
	return b.String()
}

func nodeName(node string) string { return strings.TrimPrefix(channel(node), "sotto_wake_") }

// SetPresence implements store.Store.
func (s *Store) SetPresence(ctx context.Context, addr api.Addr, node string, online bool) error {
	var err error
	if online {
		_, err = s.pool.Exec(ctx, `INSERT INTO presence(addr, node, updated) VALUES ($1, $2, now())
			ON CONFLICT (addr) DO UPDATE SET node = EXCLUDED.node, updated = EXCLUDED.updated`, addr[:], nodeName(node))
	} else {
		_, err = s.pool.Exec(ctx, `DELETE FROM presence WHERE addr = $1 AND node = $2`, addr[:], nodeName(node))
	}
	if err != nil {
		return fmt.Errorf("postgres: presence: %w", err)
	}
	return nil
}

// Subscribe implements store.Store: envelopes committed through this Store
// are handed to wake directly; for those committed by other nodes it
// LISTENs on the node's channel and calls wake for each notified device. After a lost connection it listens
// again and calls wake with the zero Addr ("wake every connection"), since
// notifications may have been missed meanwhile.
func (s *Store) Subscribe(ctx context.Context, node string, wake func(api.Addr, *store.Envelope)) error {
	s.mu.Lock()
	id := s.next
	s.next++
	s.local[id] = localSub{node: nodeName(node), wake: wake}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.local, id)
		s.mu.Unlock()
	}()
	ch := channel(node)
	first := true
	for attempt := 0; ctx.Err() == nil; attempt++ {
		err := s.listen(ctx, ch, wake, func() {
			if !first {
				wake(api.Addr{}, nil)
			}
			first = false
			attempt = 0
		})
		if ctx.Err() != nil {
			return nil
		}
		_ = err
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(min(attempt+1, 20)) * 250 * time.Millisecond):
		}
	}
	return nil
}

func (s *Store) listen(ctx context.Context, ch string, wake func(api.Addr, *store.Envelope), listening func()) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
		return err
	}
	listening()
	conn := c.Conn()
	defer func() {
		// The connection goes back to the pool: stop listening first (with
		// a fresh context, ctx may be done).
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "UNLISTEN *"); err != nil {
			c.Hijack().Close(uctx)
		}
	}()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var a api.Addr
		if b, err := hex.DecodeString(n.Payload); err == nil && len(b) == len(a) {
			copy(a[:], b)
			wake(a, nil)
		}
	}
}

// Close stops the writer and closes the pool.
func (s *Store) Close() error {
	s.Writer.Stop()
	s.pool.Close()
	return nil
}
