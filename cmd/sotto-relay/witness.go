package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/client"
)

// The witness: it polls a relay's latest tree head, checks that it is
// consistent with the last head it co-signed (a consistency proof from the
// relay), co-signs it and posts the co-signature back to the relay, which
// serves it with the head (clients that require a witness find it there).
// It also serves its latest co-signed head on --listen, so anyone can
// compare what the relay shows them with what the witness saw. The last
// co-signed head is kept next to the key, so a restart cannot be tricked
// into signing a fork.

type witnessConfig struct {
	relayURL, keyFile, listen string
	interval                  time.Duration
}

func parseWitness(args []string, env func(string) (string, bool), stderr io.Writer) (witnessConfig, error) {
	var c witnessConfig
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.relayURL, "relay", "", "the relay's base URL")
	fs.StringVar(&c.keyFile, "key", "sotto-witness.key", "the witness's Ed25519 seed (hex; created on first start)")
	fs.DurationVar(&c.interval, "interval", 10*time.Second, "how often to poll the relay")
	fs.StringVar(&c.listen, "listen", "", "serve GET /witness/v1/latest here (off if empty)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SOTTO_WITNESS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := env(name); ok && !set[f.Name] && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s: %v", name, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if c.relayURL == "" {
		return c, errors.New("witness needs --relay URL")
	}
	if c.interval <= 0 {
		return c, errors.New("--interval must be positive")
	}
	return c, nil
}

// parseWitnessKeys reads comma-separated hex Ed25519 public keys.
func parseWitnessKeys(s string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("--kt-witness-key: not a hex Ed25519 public key")
		}
		out = append(out, b)
	}
	return out, nil
}

func loadWitnessKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		_, _ = rand.Read(seed)
		if err := os.WriteFile(path, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("create witness key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read witness key: %w", err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("witness key file: not a hex Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

type witness struct {
	rc     *client.Client
	key    ed25519.PrivateKey
	logKey ed25519.PublicKey
	state  string // file of the last co-signed head
	log    *slog.Logger

	mu   sync.Mutex
	last kt.SignedTreeHead
	have bool
}

func runWitness(ctx context.Context, c witnessConfig, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	key, err := loadWitnessKey(c.keyFile)
	if err != nil {
		return err
	}
	rc, err := client.New(c.relayURL, nil)
	if err != nil {
		return err
	}
	keys, err := rc.KTKeys(ctx)
	if err != nil {
		return fmt.Errorf("fetch the relay's log key: %w", err)
	}
	if len(keys.LogKey) != ed25519.PublicKeySize {
		return errors.New("the relay's log key is malformed")
	}
	w := &witness{rc: rc, key: key, logKey: keys.LogKey, state: c.keyFile + ".head", log: log}
	if b, err := os.ReadFile(w.state); err == nil {
		if w.last, err = kt.ParseSignedTreeHead(b); err != nil {
			return fmt.Errorf("witness state: %w", err)
		}
		w.have = true
	}
	fmt.Fprintf(stdout, "sotto-relay witness %s for %s\n", hex.EncodeToString(key.Public().(ed25519.PublicKey)), c.relayURL)
	if c.listen != "" {
		ln, err := net.Listen("tcp", c.listen)
		if err != nil {
			return err
		}
		srv := relay.HTTPServer(http.HandlerFunc(w.serveLatest), log)
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		fmt.Fprintf(stdout, "sotto-relay witness listening on http://%s\n", ln.Addr())
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		if err := w.step(ctx); err != nil && ctx.Err() == nil {
			log.Warn("witness step failed", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// step co-signs the relay's latest head if it is consistent with the last
// one co-signed. A fork is logged loudly and never co-signed.
func (w *witness) step(ctx context.Context) error {
	h, err := w.rc.KTHead(ctx)
	if err != nil {
		return err
	}
	v := &kt.Verifier{LogKey: w.logKey}
	w.mu.Lock()
	mon := kt.Monitor{}
	if w.have {
		_ = mon.UnmarshalBinary(append([]byte{1}, w.last.Marshal()...))
	}
	w.mu.Unlock()
	err = mon.Observe(v, h, func(a, b uint64) (kt.ConsistencyProof, error) { return w.rc.KTConsistency(ctx, a, b) })
	if err != nil {
		if errors.Is(err, kt.ErrFork) || errors.Is(err, kt.ErrInconsistent) || errors.Is(err, kt.ErrBadSignature) {
			w.log.Error("relay misbehaves: not co-signing", "size", h.Size, "err", err.Error())
		}
		return err
	}
	if w.have && h.Size < w.last.Size {
		return nil // an older head: consistent, nothing new to sign
	}
	c := kt.Cosign(w.key, w.logKey, time.Now(), h.TreeHead)
	if err := w.rc.KTCosign(ctx, h.Size, c); err != nil {
		return fmt.Errorf("post co-signature: %w", err)
	}
	h.Cosignatures = []kt.Cosignature{c}
	if err := os.WriteFile(w.state, h.Marshal(), 0o600); err != nil {
		return fmt.Errorf("save witness state: %w", err)
	}
	w.mu.Lock()
	w.last, w.have = h, true
	w.mu.Unlock()
	return nil
}

func (w *witness) serveLatest(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/witness/v1/latest" {
		http.NotFound(rw, r)
		return
	}
	w.mu.Lock()
	last, have := w.last, w.have
	w.mu.Unlock()
	if !have {
		http.Error(rw, "nothing co-signed yet", http.StatusServiceUnavailable)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(map[string][]byte{"tree_head": last.Marshal()})
}
