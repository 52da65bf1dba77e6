package relay_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/pqxdh"
	"github.com/sotto-im/sotto/crypto/sealed"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

type prekeySource map[keys.PrekeyID]*keys.PrekeyPrivate

func (p prekeySource) Prekey(typ keys.PrekeyType, id keys.PrekeyID) (*keys.PrekeyPrivate, error) {
	if k, ok := p[id]; ok && k.Type() == typ {
		return k, nil
	}
	return nil, errors.New("no such prekey")
}

// TestNoPlaintextOnRelay: a message encrypted with the crypto package
// (PQXDH + ratchet inside a sealed-sender envelope) passes through the relay;
// the relay's database files (SQLite, with its WAL) or dump (PostgreSQL)
// contain neither the message text nor the handles in clear, while the
// envelope is queued and after it was delivered.
func TestNoPlaintextOnRelay(t *testing.T) {
	eachBackend(t, func(t *testing.T, b relaytest.Backend) {
		dsn := b.DSN(t)
		st := relaytest.Open(t, dsn)
		e := startOn(t, st, nil)
		alice := relaytest.NewDevice(t, "alicecanary", 2).Register(t, e.url)
		bob := relaytest.NewDevice(t, "bobcanary", 2).Register(t, e.url)
		canary := []byte("canary-plaintext-3f9b1c the eagle lands at midnight")
		now := time.Now()

		lr, err := alice.Client.Lookup(bg, handle.MustParse("bobcanary"))
		if err != nil {
			t.Fatal(err)
		}
		bundle, err := keys.ParseBundle(lr.Devices[0].Bundle)
		if err != nil {
			t.Fatal(err)
		}
		peer, _ := keys.ParseIdentityPublicKey(lr.IdentityKey)
		sess, init, err := pqxdh.Initiate(rand.Reader, pqxdh.Local{Device: alice.Key, Certificate: alice.Cert}, peer, bundle, now)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := sess.Encrypt(rand.Reader, canary)
		if err != nil {
			t.Fatal(err)
		}
		scRaw, err := alice.Client.SenderCertificate(bg)
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := keys.ParseSenderCertificate(scRaw.Certificate)
		envelope, err := sealed.Seal(bundle.Device.SealingKey, sc, init.Wrap(ct))
		if err != nil {
			t.Fatal(err)
		}
		anon, _ := client.New(e.url, nil)
		if _, err := anon.SendSealed(bg, bob.Addr, bob.Token, envelope); err != nil {
			t.Fatal(err)
		}
		secrets := [][]byte{canary[:24], []byte("alicecanary"), []byte("bobcanary")}
		assertNoPlaintext(t, dsn, secrets)

		// Bob receives and decrypts: the envelope is a real one.
		rc, err := bob.Client.Dial(bg, client.DialOptions{Authenticated: true})
		if err != nil {
			t.Fatal(err)
		}
		got := recv(t, rc, 1)[0]
		relayKey, _ := keys.ParseRelayPublicKey(e.srv.RelayPublicKey().Bytes())
		op, err := sealed.Open(bob.Key, relayKey, got.Body, now)
		if err != nil {
			t.Fatal(err)
		}
		bs, _, err := pqxdh.Accept(rand.Reader, pqxdh.Local{Device: bob.Key, Certificate: bob.Cert}, prekeySource(bob.Prekeys), op.Message, now)
		if err != nil {
			t.Fatal(err)
		}
		_ = bs
		if !op.Sender.Sender.Equal(alice.Identity.Public()) {
			t.Fatal("sender certificate names someone else")
		}
		_ = rc.Ack(got.Seq)
		rc.Close()
		assertNoPlaintext(t, dsn, secrets)
	})
}

func assertNoPlaintext(t *testing.T, dsn string, secrets [][]byte) {
	t.Helper()
	var blobs [][]byte
	if p, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		files, _ := filepath.Glob(p + "*")
		if len(files) == 0 {
			t.Fatal("no database files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			blobs = append(blobs, b)
		}
	} else {
		pgDump, err := exec.LookPath("pg_dump")
		if err != nil {
			matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
			if len(matches) == 0 {
				t.Fatal("pg_dump not found")
			}
			pgDump = matches[len(matches)-1]
		}
		out, err := exec.Command(pgDump, "--data-only", "--dbname", dsn).Output()
		if err != nil {
			t.Fatalf("pg_dump: %v", err)
		}
		if !bytes.Contains(out, []byte("COPY public.envelopes")) {
			t.Fatal("dump has no envelopes table")
		}
		blobs = append(blobs, out)
	}
	for _, b := range blobs {
		for _, s := range secrets {
			// Search both raw bytes and hex (PostgreSQL dumps bytea as hex).
			if bytes.Contains(b, s) || bytes.Contains(b, []byte(hexOf(s))) {
				t.Fatalf("relay database holds %q in clear", s)
			}
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
