package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// fixture writes, with raw SQL, the rows a program at schema version v
// would have written, so each migration is tested with real data in it.
type fixture struct {
	contact, conv int64
	msgs          map[int64]string // id → body
	reactions     map[int64][]v1Reaction
	expired       int64 // v ≥ 2: a message already past its expiry
}

func populate(v int, fx *fixture) func(db *sql.DB, k *columnKeys) error {
	return func(db *sql.DB, k *columnKeys) error {
		ctx := context.Background()
		// Programs at versions 1 and 2 sealed columns without padding.
		seal := func(table, column string, row int64, pt []byte) []byte {
			return sealV1ForTest(k, table, column, row, pt)
		}
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		exec := func(q string, args ...any) {
			if err == nil {
				_, err = tx.Exec(q, args...)
			}
		}
		id := func(table string) int64 {
			if err != nil {
				return 0
			}
			var n int64
			n, err = nextID(ctx, tx, table)
			return n
		}
		fx.contact = id("contacts")
		exec(`INSERT INTO contacts(id, handle_mac, handle, profile, identity_key, verification, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)`,
			fx.contact, k.mac(macHandle, []byte("@old")), seal("contacts", "handle", fx.contact, []byte("@old")),
			seal("contacts", "profile", fx.contact, []byte(`{"n":"Old Friend"}`)),
			seal("contacts", "identity_key", fx.contact, []byte("old-ik")),
			seal("contacts", "verification", fx.contact, []byte(`{"v":2}`)), now.UnixMilli(), now.UnixMilli())
		fx.conv = id("conversations")
		exec(`INSERT INTO conversations(id, contact_id, created_at, last_activity_at, settings) VALUES (?,?,?,?,?)`,
			fx.conv, fx.contact, now.UnixMilli(), now.UnixMilli(), seal("conversations", "settings", fx.conv, []byte(`{}`)))
		sid := id("sessions")
		exec(`INSERT INTO sessions(id, contact_id, device_mac, state, updated_at) VALUES (?,?,?,?,?)`,
			sid, fx.contact, k.mac(macDevice, idBytes(fx.contact), []byte("d1")), seal("sessions", "state", sid, []byte("old-state")), now.UnixMilli())
		setID := id("settings")
		exec(`INSERT INTO settings(id, name_mac, value, updated_at) VALUES (?,?,?,?)`,
			setID, k.mac(macName, []byte("settings"), []byte("lang")), seal("settings", "value", setID, []byte("fr")), now.UnixMilli())
		fx.msgs = map[int64]string{}
		fx.reactions = map[int64][]v1Reaction{}
		for i := 0; i < 30; i++ {
			mid := id("messages")
			body := fmt.Sprintf("Vieux message %d à propos de l'été numéro%d", i, i)
			meta, _ := json.Marshal(messageMeta{Direction: Incoming, Status: StatusRead, Sender: ContactID(fx.contact)})
			var reactions any
			if i%3 == 0 {
				rs := []v1Reaction{{Sender: fx.contact, Emoji: "👍", At: now.UnixMilli()}, {Sender: 0, Emoji: fmt.Sprint(i), At: now.UnixMilli()}}
				b, _ := json.Marshal(rs)
				reactions = seal("messages", "reactions", mid, b)
				fx.reactions[mid] = rs
			}
			sent := now.Add(time.Duration(i) * time.Minute).UnixMilli()
			exec(`INSERT INTO messages(id, conversation_id, reply_to, remote_mac, sent_at, received_at, edited_at, meta, body, reactions) VALUES (?,?,?,?,?,?,?,?,?,?)`,
				mid, fx.conv, nil, k.mac(macRemoteID, []byte(fmt.Sprint("r", i))), sent, sent, nil,
				seal("messages", "meta", mid, meta), seal("messages", "body", mid, []byte(body)), reactions)
			fx.msgs[mid] = body
			if v >= 2 {
				// v2 writers indexed bodies as they inserted them.
				if err == nil {
					err = insertTokens(ctx, tx, searchTokens(k, body), mid, fx.conv, sent)
				}
			}
		}
		if v >= 2 {
			fx.expired = id("messages")
			meta, _ := json.Marshal(messageMeta{Direction: Outgoing})
			exec(`INSERT INTO messages(id, conversation_id, sent_at, expires_at, meta, body) VALUES (?,?,?,?,?,?)`,
				fx.expired, fx.conv, now.UnixMilli(), now.Add(time.Hour).UnixMilli(),
				seal("messages", "meta", fx.expired, meta), seal("messages", "body", fx.expired, []byte("éphémère")))
			if err == nil {
				err = insertTokens(ctx, tx, searchTokens(k, "éphémère"), fx.expired, fx.conv, now.UnixMilli())
			}
			cid := id("calls")
			exec(`INSERT INTO calls(id, contact_id, started_at, ended_at, info) VALUES (?,?,?,?,?)`,
				cid, fx.contact, now.UnixMilli(), now.Add(time.Minute).UnixMilli(), seal("calls", "info", cid, []byte(`{"d":2,"v":true,"o":1}`)))
		}
		if err != nil {
			return err
		}
		return tx.Commit()
	}
}

func createAt(t *testing.T, v int, fx *fixture) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), fmt.Sprint("v", v))
	s := secrets{master: make([]byte, 32), identity: []byte("idk")}
	randRead(s.master)
	if _, err := create(context.Background(), dir, s, passOpts(), v, populate(v, fx)); err != nil {
		t.Fatalf("create at version %d: %v", v, err)
	}
	return dir
}

func TestMigrationsFromEveryVersion(t *testing.T) {
	ctx := context.Background()
	if schemaVersion != 3 {
		t.Fatalf("schema is at %d: add a fixture for the new version and extend this test", schemaVersion)
	}
	for v := 1; v < schemaVersion; v++ {
		t.Run(fmt.Sprint("from_v", v), func(t *testing.T) {
			var fx fixture
			dir := createAt(t, v, &fx)
			p, err := Open(ctx, dir, Options{Passphrase: testPass})
			if err != nil {
				t.Fatalf("open (migrate from v%d): %v", v, err)
			}
			defer p.Close()
			if got, _ := userVersion(ctx, p.db); got != schemaVersion {
				t.Fatalf("user_version %d", got)
			}
			var res string
			if err := p.db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
				t.Fatalf("integrity_check %q %v", res, err)
			}
			if rows, _ := p.db.Query(`PRAGMA foreign_key_check`); rows.Next() {
				t.Fatal("foreign key violations after migration")
			} else {
				rows.Close()
			}
			var cols int
			p.db.QueryRow(`SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'reactions'`).Scan(&cols)
			if cols != 0 {
				t.Fatal("messages.reactions column still present")
			}
			c, err := p.Contact(ctx, ContactID(fx.contact))
			if err != nil || c.Handle != "@old" || c.DisplayName != "Old Friend" || c.Verification != Verified {
				t.Fatalf("contact: %+v %v", c, err)
			}
			if st, err := p.Session(ctx, ContactID(fx.contact), "d1"); err != nil || string(st) != "old-state" {
				t.Fatalf("session %q %v", st, err)
			}
			if s, err := p.Setting(ctx, "lang"); err != nil || string(s) != "fr" {
				t.Fatalf("setting %q %v", s, err)
			}
			for id, body := range fx.msgs {
				m, err := p.Message(ctx, MessageID(id))
				if err != nil || m.Body != body || m.Status != StatusRead {
					t.Fatalf("message %d: %+v %v", id, m, err)
				}
				want := fx.reactions[id]
				if len(m.Reactions) != len(want) {
					t.Fatalf("message %d: %d reactions, want %d", id, len(m.Reactions), len(want))
				}
				for _, w := range want {
					found := false
					for _, r := range m.Reactions {
						found = found || (r.Sender == ContactID(w.Sender) && r.Emoji == w.Emoji)
					}
					if !found {
						t.Fatalf("message %d: reaction %+v lost", id, w)
					}
				}
			}
			// The index covers the old messages (built by the v2 migration, or
			// written by v2 code), accents and all.
			res2, err := p.Search(ctx, SearchQuery{Text: "ete", Limit: 100})
			if err != nil || len(res2.Messages) != len(fx.msgs) {
				t.Fatalf("search after migration: %d results, %v", len(res2.Messages), err)
			}
			res2, _ = p.Search(ctx, SearchQuery{Text: "numero17"})
			if len(res2.Messages) != 1 {
				t.Fatalf("search numero17: %d", len(res2.Messages))
			}
			// New features work on migrated data.
			if _, err := p.AddCall(ctx, CallRecord{Contact: ContactID(fx.contact), Outcome: CallMissed}); err != nil {
				t.Fatal(err)
			}
			if err := p.SetKTState(ctx, "sth", []byte("x")); err != nil {
				t.Fatal(err)
			}
			for id := range fx.reactions {
				if err := p.React(ctx, MessageID(id), ContactID(fx.contact), "🔥"); err != nil {
					t.Fatal(err)
				}
				break
			}
			if v >= 2 {
				if _, err := p.Message(ctx, MessageID(fx.expired)); !errors.Is(err, ErrNotFound) {
					t.Fatalf("expired v2 message: %v", err)
				}
				calls, _ := p.Calls(ctx, 10)
				if len(calls) != 2 {
					t.Fatalf("calls after migration: %d", len(calls))
				}
			}
		})
	}
}

// A migration that fails half-way leaves the database at the old version
// with all its data.
func TestFailedMigrationLosesNothing(t *testing.T) {
	ctx := context.Background()
	var fx fixture
	dir := createAt(t, 2, &fx)
	// Damage one reactions ciphertext so the v3 step fails.
	db, err := openDB(filepath.Join(dir, dbFileName))
	if err != nil {
		t.Fatal(err)
	}
	var victim int64
	for id := range fx.reactions {
		victim = id
		break
	}
	if _, err := db.Exec(`UPDATE messages SET reactions = x'0102' WHERE id = ?`, victim); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, dir, Options{Passphrase: testPass}); !errors.Is(err, ErrTampered) {
		t.Fatalf("open with a damaged row: %v, want ErrTampered", err)
	}
	db, _ = openDB(filepath.Join(dir, dbFileName))
	defer db.Close()
	if v, _ := userVersion(ctx, db); v != 2 {
		t.Fatalf("user_version %d after a failed migration, want 2", v)
	}
	var n, r int
	db.QueryRow(`SELECT count(*), count(reactions) FROM messages`).Scan(&n, &r)
	if n != len(fx.msgs)+1 || r != len(fx.reactions) {
		t.Fatalf("after a failed migration: %d messages, %d with reactions", n, r)
	}
}

// sealV1ForTest writes a version-1 (unpadded) column ciphertext, as the
// first releases did.
func sealV1ForTest(k *columnKeys, table, column string, row int64, pt []byte) []byte {
	a := k.aead(table, column)
	out := make([]byte, sealHeader)
	out[0] = sealV1
	randRead(out[1:])
	return a.Seal(out, out[1:], pt, columnAD(table, column, row))
}
