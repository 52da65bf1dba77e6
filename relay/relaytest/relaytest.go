// Package relaytest has helpers for tests of the relay and its client:
// stores for each backend (SQLite in a temp dir, PostgreSQL in a fresh
// database when SOTTO_TEST_PG_DSN is set) and devices with real crypto/keys
// identities, certificates and prekeys.
package relaytest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/relay/store/postgres"
	"github.com/sotto-im/sotto/relay/store/sqlite"
)

// Backend opens stores of one kind.
type Backend struct {
	Name string
	// DSN returns a fresh, empty store DSN ("sqlite:PATH" or a postgres URL).
	DSN func(t testing.TB) string
}

// Open opens the store at dsn; it is closed when the test ends.
func Open(t testing.TB, dsn string) store.Store {
	t.Helper()
	ctx := context.Background()
	var s store.Store
	var err error
	if p, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		s, err = sqlite.Open(ctx, p, sqlite.Options{})
	} else {
		s, err = postgres.Open(ctx, dsn, postgres.Options{})
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	// Cleanups run last-in first-out: servers started on s later stop
	// before s closes.
	t.Cleanup(func() { s.Close() })
	return s
}

// Backends returns SQLite and, when SOTTO_TEST_PG_DSN is set, PostgreSQL.
// Without it PostgreSQL tests are skipped, or fail under
// SOTTO_TEST_REQUIRE_SERVICES=1.
func Backends() []Backend {
	return []Backend{
		{Name: "SQLite", DSN: func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "relay.db") }},
		{Name: "Postgres", DSN: PostgresDSN},
	}
}

var dbSeq atomic.Int64

// PostgresDSN creates a fresh database on the test cluster and returns its
// DSN; it is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SOTTO_TEST_PG_DSN")
	if base == "" {
		if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("SOTTO_TEST_PG_DSN not set but SOTTO_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("SOTTO_TEST_PG_DSN not set (run under scripts/with-services.sh)")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test cluster: %v", err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("relay_%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Device is a test device with real keys.
type Device struct {
	Handle   handle.Handle
	Identity *keys.IdentityPrivateKey
	Key      *keys.DevicePrivateKey
	Cert     keys.DeviceCertificate
	Addr     api.Addr
	Token    []byte // delivery token
	Prekeys  map[keys.PrekeyID]*keys.PrekeyPrivate
	Client   *client.Client
}

// NewDevice makes keys for handle h: a certificate, a signed and a
// last-resort prekey and oneTime one-time prekeys of each kind.
func NewDevice(t testing.TB, h string, oneTime int) *Device {
	t.Helper()
	now := time.Now()
	id, err := keys.GenerateIdentity(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := keys.GenerateDevice(rand.Reader, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := &Device{Handle: handle.MustParse(h), Identity: id, Key: dev, Cert: keys.IssueDeviceCertificate(id, dev, now.Add(90*24*time.Hour)),
		Prekeys: map[keys.PrekeyID]*keys.PrekeyPrivate{}, Token: make([]byte, api.DeliveryTokenSize)}
	d.Addr = api.AddrFromKey(d.Cert.SigningKey.Bytes())
	_, _ = rand.Read(d.Token)
	d.GenPrekey(t, keys.PrekeySignedX25519)
	d.GenPrekey(t, keys.PrekeyLastResortMLKEM)
	for range oneTime {
		d.GenPrekey(t, keys.PrekeyOneTimeX25519)
		d.GenPrekey(t, keys.PrekeyOneTimeMLKEM)
	}
	return d
}

var prekeyID atomic.Uint32

// GenPrekey makes one more prekey of typ and returns its wire encoding.
func (d *Device) GenPrekey(t testing.TB, typ keys.PrekeyType) []byte {
	t.Helper()
	p, err := keys.GeneratePrekey(rand.Reader, d.Key, typ, keys.PrekeyID(prekeyID.Add(1)), time.Now().Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d.Prekeys[p.ID()] = p
	return p.Signed().Marshal()
}

// Registration is the device's registration request content.
func (d *Device) Registration() client.Registration {
	r := client.Registration{Handle: d.Handle, IdentityKey: d.Identity.Public().Bytes(), DeviceCertificate: d.Cert.Marshal(), DeliveryToken: d.Token}
	for _, p := range d.Prekeys {
		r.Prekeys = append(r.Prekeys, p.Signed().Marshal())
	}
	return r
}

// Register registers d at the relay at url and authenticates its client.
func (d *Device) Register(t testing.TB, relayURL string) *Device {
	t.Helper()
	c, err := client.New(relayURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := c.Register(ctx, d.Registration())
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if res.Device != d.Addr {
		t.Fatalf("relay assigned %s, want %s", res.Device, d.Addr)
	}
	c.SetDevice(d.Addr, d.Key)
	d.Client = c
	return d
}

// TestPow is a proof of work cheap enough for tests.
var TestPow = api.PowParams{Bits: 1, MemoryKiB: 8, Time: 1}

// Name returns a distinct handle for index i that no other index's handle
// looks like (letters without confusable folds).
func Name(prefix string, i int) string {
	const alpha = "abcefhjkptxyz"
	s := prefix + "_"
	for {
		s += string(alpha[i%len(alpha)])
		i /= len(alpha)
		if i == 0 {
			return s
		}
	}
}
