package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// TestWitness: the witness co-signs a real relay's heads as the log grows;
// clients requiring that witness accept them; a head the witness did not
// see consistently (a fork) is refused and not co-signed.
func TestWitness(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "w.key")
	key, err := loadWitnessKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	keys, err := parseWitnessKeys(hex.EncodeToString(pub))
	if err != nil || len(keys) != 1 {
		t.Fatalf("parse witness keys: %v", err)
	}
	st := relaytest.Open(t, "sqlite:"+filepath.Join(dir, "relay.db"))
	srv, err := relay.New(relay.Config{Store: st, Pow: relaytest.TestPow, KT: relay.KTConfig{Interval: 10 * time.Millisecond, Witnesses: keys}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	rc, _ := client.New(hs.URL, nil)
	ktKeys, err := rc.KTKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := &witness{rc: rc, key: key, logKey: ktKeys.LogKey, state: keyFile + ".head", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	v := &kt.Verifier{LogKey: ktKeys.LogKey, Witnesses: keys, RequireWitness: true}
	for i := range 3 {
		relaytest.NewDevice(t, relaytest.Name("w", i), 1).Register(t, hs.URL)
		// The relay may sign a newer head between a step and the fetch:
		// step until the latest head is the co-signed one.
		var err error
		for try := 0; try < 50; try++ {
			if err = w.step(ctx); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			var h kt.SignedTreeHead
			if h, err = rc.KTHead(ctx); err != nil {
				t.Fatal(err)
			}
			if err = v.VerifyHead(h); err == nil && h.Size == uint64(i+1) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("head %d never witnessed: %v", i+1, err)
		}
	}
	if _, err := os.Stat(keyFile + ".head"); err != nil {
		t.Fatal("witness state not saved")
	}
	// A forked state: the witness's last head has another root at its size.
	w.last.Root[0] ^= 1
	if err := w.step(ctx); !errors.Is(err, kt.ErrFork) {
		t.Fatalf("fork co-signed: %v", err)
	}
	if _, err := parseWitness([]string{"--interval", "1s"}, func(string) (string, bool) { return "", false }, io.Discard); err == nil || !strings.Contains(err.Error(), "--relay") {
		t.Fatalf("witness without a relay: %v", err)
	}
}
