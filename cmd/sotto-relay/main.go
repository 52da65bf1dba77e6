package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/relay/store/postgres"
	"github.com/sotto-im/sotto/relay/store/sqlite"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: sotto-relay serve [flags] | sotto-relay witness --relay URL [flags] | sotto-relay version")
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "sotto-relay", version())
		return 0
	case "witness":
		cfg, err := parseWitness(args[1:], os.LookupEnv, stderr)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "sotto-relay:", err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := runWitness(ctx, cfg, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "sotto-relay:", err)
			return 1
		}
		return 0
	case "serve":
		cfg, err := parseServe(args[1:], os.LookupEnv, stderr)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "sotto-relay:", err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serve(ctx, cfg, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "sotto-relay:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "sotto-relay: unknown command %q\n", args[0])
		return 2
	}
}

func version() string {
	if relay.Version != "dev" {
		return relay.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return relay.Version
}

type serveConfig struct {
	listen, storeDSN, metrics                string
	tlsCert, tlsKey, autocertDomain, acmeDir string
	insecureLoopback                         bool
	powBits, powTime                         int
	powMemory                                int
	nodeID, reserved, logLevel               string
	turnListen, turnSecret, turnURLs, turnIP string
	turnRealm                                string
	envelopeTTL, tokenTTL, commitWindow      time.Duration
	maxConns, maxConnsPerIP                  int
	noRateLimits                             bool
	maxAttachment                            int64
	ktInterval                               time.Duration
	ktWitnesses                              string
}

// parseServe reads flags, then SOTTO_RELAY_* for flags not given.
func parseServe(args []string, env func(string) (string, bool), stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8443", "address to serve the API on")
	fs.StringVar(&c.storeDSN, "store", "sqlite:sotto-relay.db", `store: "sqlite:PATH" or "postgres://…"`)
	fs.StringVar(&c.metrics, "metrics", "", "address for Prometheus metrics (separate listener; off if empty)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS key file (PEM)")
	fs.StringVar(&c.autocertDomain, "tls-autocert", "", "obtain a certificate for DOMAIN from Let's Encrypt (ACME)")
	fs.StringVar(&c.acmeDir, "autocert-cache", "sotto-relay-autocert", "directory for ACME certificates")
	fs.BoolVar(&c.insecureLoopback, "insecure-loopback", false, "serve plain HTTP; allowed only on a loopback address")
	fs.IntVar(&c.powBits, "pow-bits", 5, "registration proof of work: leading zero bits of Argon2id")
	fs.IntVar(&c.powMemory, "pow-memory", 64<<10, "registration proof of work: Argon2id memory in KiB")
	fs.IntVar(&c.powTime, "pow-time", 1, "registration proof of work: Argon2id passes")
	fs.StringVar(&c.nodeID, "node-id", "", "unique id of this node among nodes sharing a store (random if empty)")
	fs.StringVar(&c.reserved, "reserved-handles", "", "comma-separated handles to refuse, besides the built-in list")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.turnListen, "turn-listen", "", "run the embedded TURN server on this address (UDP and TCP)")
	fs.StringVar(&c.turnSecret, "turn-secret", "", "TURN REST-API shared secret (also for an external coturn)")
	fs.StringVar(&c.turnURLs, "turn-url", "", "comma-separated TURN URLs given to clients (turn:host:port?transport=udp)")
	fs.StringVar(&c.turnIP, "turn-relay-ip", "127.0.0.1", "public IP the embedded TURN server relays from")
	fs.StringVar(&c.turnRealm, "turn-realm", "sotto", "TURN realm")
	fs.DurationVar(&c.envelopeTTL, "envelope-ttl", 30*24*time.Hour, "how long undelivered envelopes are kept")
	fs.DurationVar(&c.tokenTTL, "token-ttl", 15*time.Minute, "lifetime of auth tokens")
	fs.DurationVar(&c.commitWindow, "commit-window", 2*time.Millisecond, "SQLite group-commit window")
	fs.IntVar(&c.maxConns, "max-conns", 200_000, "WebSocket connections on this node")
	fs.IntVar(&c.maxConnsPerIP, "max-conns-per-ip", 2_000, "WebSocket connections per client IP")
	fs.BoolVar(&c.noRateLimits, "no-rate-limits", false, "disable rate limits (benchmarks and tests only)")
	fs.Int64Var(&c.maxAttachment, "max-attachment", 16<<20, "largest attachment in bytes")
	fs.DurationVar(&c.ktInterval, "kt-interval", time.Second, "least time between two key-transparency tree heads")
	fs.StringVar(&c.ktWitnesses, "kt-witness-key", "", "comma-separated hex Ed25519 keys of witnesses whose co-signatures are accepted")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || envErr != nil {
			return
		}
		name := "SOTTO_RELAY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := env(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s: %v", name, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, errors.New("--tls-cert and --tls-key go together")
	}
	tlsOn := c.tlsCert != "" || c.autocertDomain != ""
	if c.tlsCert != "" && c.autocertDomain != "" {
		return c, errors.New("choose --tls-cert/--tls-key or --tls-autocert, not both")
	}
	if !tlsOn {
		if !c.insecureLoopback {
			return c, errors.New("no TLS configured: give --tls-cert/--tls-key or --tls-autocert (or --insecure-loopback on a loopback address)")
		}
		if !isLoopback(c.listen) {
			return c, fmt.Errorf("--insecure-loopback needs a loopback listen address, not %q", c.listen)
		}
	} else if c.insecureLoopback {
		return c, errors.New("--insecure-loopback and TLS are exclusive")
	}
	return c, nil
}

// isLoopback reports whether a listen address is on a loopback IP (a bare
// port or a host name is not).
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func openStore(ctx context.Context, dsn string, window time.Duration) (store.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"), sqlite.Options{Window: window})
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn, postgres.Options{})
	default:
		return nil, errors.New(`--store must be "sqlite:PATH" or "postgres://…"`)
	}
}

func serve(ctx context.Context, c serveConfig, stdout, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	st, err := openStore(ctx, c.storeDSN, c.commitWindow)
	if err != nil {
		// The DSN may carry a password: never echo it.
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	rc := relay.Config{
		Store:         st,
		NodeID:        c.nodeID,
		Logger:        log,
		Pow:           api.PowParams{Bits: c.powBits, MemoryKiB: uint32(c.powMemory), Time: uint32(c.powTime)},
		TokenTTL:      c.tokenTTL,
		EnvelopeTTL:   c.envelopeTTL,
		MaxAttachment: c.maxAttachment,
	}
	if c.reserved != "" {
		rc.ReservedHandles = strings.Split(c.reserved, ",")
	}
	rc.KT.Interval = c.ktInterval
	if rc.KT.Witnesses, err = parseWitnessKeys(c.ktWitnesses); err != nil {
		return err
	}
	if c.noRateLimits {
		rc.Limits = relay.Limits{MaxConns: c.maxConns, MaxConnsPerIP: c.maxConnsPerIP}
	} else {
		rc.Limits = relay.DefaultLimits()
		rc.Limits.MaxConns, rc.Limits.MaxConnsPerIP = c.maxConns, c.maxConnsPerIP
	}
	if c.turnSecret != "" {
		rc.TURN.Secret = []byte(c.turnSecret)
		if c.turnURLs != "" {
			rc.TURN.URLs = strings.Split(c.turnURLs, ",")
		}
	}
	srv, err := relay.New(rc)
	if err != nil {
		return err
	}
	defer srv.Close()

	if c.turnListen != "" {
		if c.turnSecret == "" {
			return errors.New("--turn-listen needs --turn-secret")
		}
		ts, err := relay.StartTURN(relay.TURNServerConfig{Listen: c.turnListen, RelayIP: c.turnIP, Realm: c.turnRealm, Secret: []byte(c.turnSecret), Logger: log})
		if err != nil {
			return fmt.Errorf("turn: %w", err)
		}
		defer ts.Close()
		fmt.Fprintf(stdout, "sotto-relay turn on %s\n", ts.Addr())
	}

	if c.metrics != "" {
		ml, err := net.Listen("tcp", c.metrics)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		ms := relay.HTTPServer(mux, log)
		go func() { _ = ms.Serve(ml) }()
		defer ms.Close()
		fmt.Fprintf(stdout, "sotto-relay metrics on http://%s/metrics\n", ml.Addr())
	}

	hs := relay.HTTPServer(srv, log)
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln = relay.Listener(ln)
	scheme := "http"
	switch {
	case c.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
		scheme = "https"
	case c.autocertDomain != "":
		m := &autocert.Manager{Prompt: autocert.AcceptTOS, HostPolicy: autocert.HostWhitelist(c.autocertDomain), Cache: autocert.DirCache(c.acmeDir)}
		hs.TLSConfig = m.TLSConfig()
		hs.TLSConfig.MinVersion = tls.VersionTLS12
		ln = tls.NewListener(ln, hs.TLSConfig)
		scheme = "https"
	}
	log.Info("listening", "addr", ln.Addr().String(), "tls", scheme == "https", "version", version())
	fmt.Fprintf(stdout, "sotto-relay listening on %s://%s\n", scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Close() // WebSockets are hijacked: Shutdown does not wait for them
	return hs.Shutdown(sctx)
}
