package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCreateOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	p, dir := newProfile(t, Options{})
	c, conv := newConversation(t, p, "@alice")
	id := mustInsert(t, p, Message{Conversation: conv, Direction: Incoming, Sender: c, Status: StatusDelivered, Body: "hello there", RemoteID: []byte("r1")})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Message(ctx, id); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
	p2, err := Open(ctx, dir, Options{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	m, err := p2.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Body != "hello there" || m.Sender != c || m.Direction != Incoming || m.Status != StatusDelivered || string(m.RemoteID) != "r1" {
		t.Fatalf("read back %+v", m)
	}
	if !bytes.Equal(p2.IdentityKey(), []byte("identity-private-key-0123456789abcdef")) {
		t.Fatal("identity key differs after reopen")
	}
	var mode string
	var fk, sd int
	if err := p2.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v", mode, err)
	}
	if err := p2.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d %v", fk, err)
	}
	if err := p2.db.QueryRow(`PRAGMA secure_delete`).Scan(&sd); err != nil || sd != 1 {
		t.Fatalf("secure_delete %d %v", sd, err)
	}
	var bt int
	if err := p2.db.QueryRow(`PRAGMA busy_timeout`).Scan(&bt); err != nil || bt < 1000 {
		t.Fatalf("busy_timeout %d %v", bt, err)
	}
}

func TestCreateRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Create(context.Background(), dir, []byte("k"), passOpts())
	if !errors.Is(err, ErrProfileExists) {
		t.Fatalf("got %v, want ErrProfileExists", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "x")); string(b) != "x" {
		t.Fatal("existing file touched")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, t.TempDir(), Options{}); !errors.Is(err, ErrNoProfile) {
		t.Fatalf("empty dir: %v, want ErrNoProfile", err)
	}
	p, dir := newProfile(t, Options{})
	p.Close()
	if _, err := Open(ctx, dir, Options{}); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("no passphrase: %v, want ErrPassphraseRequired", err)
	}
	if _, err := Open(ctx, dir, Options{Passphrase: []byte("nope")}); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v, want ErrWrongPassphrase", err)
	}

	// A damaged profile.json is reported and left exactly as it was.
	pfPath := filepath.Join(dir, profileFileName)
	orig, _ := os.ReadFile(pfPath)
	for _, bad := range [][]byte{[]byte("{not json"), bytes.Replace(orig, []byte(`"passphrase"`), []byte(`"plaintext"`), 1), {}} {
		if err := os.WriteFile(pfPath, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, dir, Options{Passphrase: testPass}); !errors.Is(err, ErrCorruptProfile) {
			t.Fatalf("corrupt profile.json %q: %v, want ErrCorruptProfile", bad, err)
		}
		if now, _ := os.ReadFile(pfPath); !bytes.Equal(now, bad) {
			t.Fatal("corrupt profile.json was modified")
		}
	}
	if err := os.WriteFile(pfPath, orig, 0o600); err != nil {
		t.Fatal(err)
	}

	// A database from a newer program is refused, not touched.
	p2, err := Open(ctx, dir, Options{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	p2.Close()
	if _, err := Open(ctx, dir, Options{Passphrase: testPass}); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestPassphraseRealParameters(t *testing.T) {
	passphraseKDF, minKDF = realKDF, realMinKDF
	defer func() {
		passphraseKDF, minKDF = kdfParams{Time: 1, MemoryKiB: 64, Threads: 1}, kdfParams{Time: 1, MemoryKiB: 64, Threads: 1}
	}()
	if passphraseKDF.Time < 3 || passphraseKDF.MemoryKiB < 64<<10 {
		t.Fatalf("production Argon2id parameters too weak: %+v", passphraseKDF)
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "p")
	p, err := Create(ctx, dir, []byte("idk"), Options{Protection: ProtectionPassphrase, Passphrase: []byte("pa55 phrase")})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	pf, err := readProfileFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pf.Passphrase.Params.Time < 3 || pf.Passphrase.Params.MemoryKiB < 64<<10 {
		t.Fatalf("stored parameters %+v", pf.Passphrase.Params)
	}
	if _, err := Open(ctx, dir, Options{Passphrase: []byte("pa55 phrasE")}); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	p, err = Open(ctx, dir, Options{Passphrase: []byte("pa55 phrase")})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	// A profile file cannot lower the parameters below the floor.
	pf.Passphrase.Params.MemoryKiB = 1024
	if err := pf.write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, Options{Passphrase: []byte("pa55 phrase")}); !errors.Is(err, ErrCorruptProfile) {
		t.Fatalf("weakened parameters: %v, want ErrCorruptProfile", err)
	}
}

func TestNoKeyringNeverFallsBackToPlaintext(t *testing.T) {
	ctx := context.Background()
	// The real OS backend with no session bus: it must not even try.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if osKeyringAvailableOnThisOS() {
		t.Skip("keyring is always tried on this OS")
	}
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := Create(ctx, dir, []byte("idk"), Options{}); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("auto without keyring or passphrase: %v, want ErrPassphraseRequired", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("failed Create left files: %v", ents)
	}
	if _, err := Create(ctx, dir, []byte("idk"), Options{Protection: ProtectionKeyring}); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("keyring without bus: %v, want ErrKeyringUnavailable", err)
	}
	p, err := Create(ctx, dir, []byte("idk"), Options{Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	if p.Protection() != ProtectionPassphrase {
		t.Fatalf("auto without keyring chose %v", p.Protection())
	}
	p.Close()
}

func osKeyringAvailableOnThisOS() bool {
	return osKeyring{}.available()
}

func TestKeyringErrorPaths(t *testing.T) {
	ctx := context.Background()
	kr := newMemKeyring()
	p, dir := newProfile(t, Options{Protection: ProtectionKeyring, keyring: kr})
	if p.Protection() != ProtectionKeyring {
		t.Fatal("not in keyring")
	}
	p.Close()
	b, _ := os.ReadFile(filepath.Join(dir, profileFileName))
	if bytes.Contains(b, []byte("identity-private-key")) {
		t.Fatal("profile.json holds the identity key")
	}
	// Entry gone → clear error, nothing else tried.
	saved := kr.m
	kr.m = map[string]string{}
	if _, err := Open(ctx, dir, Options{keyring: kr}); !errors.Is(err, ErrKeyringEntryMissing) {
		t.Fatalf("missing entry: %v", err)
	}
	// Another profile's entry under this name → ErrWrongKey.
	q, _ := newProfile(t, Options{Protection: ProtectionKeyring, keyring: newMemKeyring()})
	other := secrets{master: q.master, identity: q.identity}.marshal()
	for a := range saved {
		kr.m[a] = string(encodeB64(other))
	}
	if _, err := Open(ctx, dir, Options{keyring: kr}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong entry: %v", err)
	}
	kr.m = saved
	// Keyring down → ErrKeyringUnavailable, even with a passphrase at hand.
	kr.down = true
	if _, err := Open(ctx, dir, Options{keyring: kr, Passphrase: testPass}); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("keyring down: %v", err)
	}
	kr.down = false
	// A keyring that never answers times out.
	old := keyringTimeout
	keyringTimeout = 200 * time.Millisecond
	defer func() { keyringTimeout = old }()
	kr.hang = make(chan struct{})
	start := time.Now()
	if _, err := Open(ctx, dir, Options{keyring: kr}); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("hanging keyring: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("timeout not honoured")
	}
	close(kr.hang)
	kr.hang = nil
	// Auto with a keyring that refuses writes falls to the passphrase only
	// when one is given.
	bad := newMemKeyring()
	bad.failSet = ErrKeyringUnavailable
	if _, err := Create(ctx, filepath.Join(t.TempDir(), "x"), []byte("k"), Options{keyring: bad}); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("auto, keyring failing, no passphrase: %v", err)
	}
}

func TestSwitchProtectionRewrapsOnly(t *testing.T) {
	ctx := context.Background()
	kr := newMemKeyring()
	p, dir := newProfile(t, Options{Protection: ProtectionKeyring, keyring: kr})
	_, conv := newConversation(t, p, "@bob")
	id := mustInsert(t, p, Message{Conversation: conv, Direction: Outgoing, Body: "before the switch"})
	var before []byte
	if err := p.db.QueryRow(`SELECT body FROM messages WHERE id = ?`, int64(id)).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if err := p.UsePassphrase(nil, testPass); err != nil {
		t.Fatal(err)
	}
	if len(kr.m) != 0 {
		t.Fatal("keyring entry not removed after moving to a passphrase")
	}
	var after []byte
	if err := p.db.QueryRow(`SELECT body FROM messages WHERE id = ?`, int64(id)).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("database re-encrypted on a protection switch")
	}
	p.Close()
	p, err := Open(ctx, dir, Options{keyring: kr, Passphrase: testPass})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := p.Message(ctx, id); err != nil || m.Body != "before the switch" {
		t.Fatalf("after switch: %v %q", err, m.Body)
	}
	// Change the passphrase: the old one is needed and stops working.
	if err := p.UsePassphrase([]byte("wrong"), []byte("new pass")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("change with wrong current: %v", err)
	}
	if err := p.UsePassphrase(testPass, []byte("new pass")); err != nil {
		t.Fatal(err)
	}
	if err := p.UseKeyring([]byte("new pass")); err != nil {
		t.Fatal(err)
	}
	p.Close()
	pf, _ := readProfileFile(dir)
	if pf.Passphrase != nil || pf.Protection != "keyring" {
		t.Fatalf("passphrase wrapping left behind: %+v", pf)
	}
	p, err = Open(ctx, dir, Options{keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if m, err := p.Message(ctx, id); err != nil || m.Body != "before the switch" {
		t.Fatalf("after switching back: %v %q", err, m.Body)
	}
}

func TestDamagedDatabaseIsReportedNotTouched(t *testing.T) {
	ctx := context.Background()
	p, dir := newProfile(t, Options{})
	p.Close()
	path := filepath.Join(dir, dbFileName)
	garbage := bytes.Repeat([]byte("this is not a database "), 500)
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, Options{Passphrase: testPass}); !errors.Is(err, ErrCorruptProfile) {
		t.Fatalf("garbage database: %v, want ErrCorruptProfile", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, garbage) {
		t.Fatal("damaged database was modified")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, Options{Passphrase: testPass}); !errors.Is(err, ErrCorruptProfile) {
		t.Fatalf("missing database: %v, want ErrCorruptProfile", err)
	}
}
