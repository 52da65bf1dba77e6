package relay_test

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
	"github.com/sotto-im/sotto/relay/store"
)

// benchEnv is a relay with 1,000 registered devices, each holding an
// authenticated WebSocket that acks every envelope it receives.
type benchEnv struct {
	url      string
	st       store.Store
	devs     []*relaytest.Device
	received atomic.Int64
	cancel   context.CancelFunc
}

const benchDevices = 1000

var (
	benchMu   sync.Mutex
	benchEnvs = map[string]*benchEnv{}
)

// setupBench builds the environment once per backend and process: the
// benchmark framework calls the benchmark several times with growing b.N,
// and 1,000 registrations are not what is measured.
func setupBench(b *testing.B, backend relaytest.Backend) *benchEnv {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if e := benchEnvs[backend.Name]; e != nil {
		return e
	}
	e := newBenchEnv(b, backend)
	benchEnvs[backend.Name] = e
	return e
}

// benchTB outlives a single benchmark run: cleanups never run (the
// environment lives as long as the process), temp dirs are made directly
// and removed by TestMain when the tests and benchmarks are done.
type benchTB struct {
	testing.TB
}

func (benchTB) Cleanup(func()) {}

var benchDirs struct {
	sync.Mutex
	list []string
}

func (benchTB) TempDir() string {
	d, err := os.MkdirTemp("", "relay-bench")
	if err != nil {
		panic(err)
	}
	benchDirs.Lock()
	benchDirs.list = append(benchDirs.list, d)
	benchDirs.Unlock()
	return d
}

// TestMain removes the benchmark environments' databases (a run leaves
// tens of MB of SQLite WAL).
func TestMain(m *testing.M) {
	code := m.Run()
	benchDirs.Lock()
	for _, d := range benchDirs.list {
		os.RemoveAll(d)
	}
	benchDirs.Unlock()
	os.Exit(code)
}

func newBenchEnv(b0 *testing.B, backend relaytest.Backend) *benchEnv {
	b := benchTB{b0}
	st := relaytest.Open(b, backend.DSN(b))
	srv, err := relay.New(relay.Config{Store: st, Pow: relaytest.TestPow, Limits: relay.Limits{MaxConns: 10 * benchDevices}})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = relay.Listener(hs.Listener) // as sotto-relay serves
	hs.Start()
	e := &benchEnv{url: hs.URL, st: st}
	e.devs = make([]*relaytest.Device, benchDevices)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range e.devs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			e.devs[i] = relaytest.NewDevice(b, relaytest.Name("bench", i), 0).Register(b, hs.URL)
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	for _, d := range e.devs {
		c, err := d.Client.Dial(ctx, client.DialOptions{Authenticated: true, PingInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for env := range c.Envelopes() {
				if c.Ack(env.Seq) != nil {
					return
				}
				e.received.Add(1)
			}
		}()
	}
	return e
}

// benchThroughput: envelopes/s end to end — a sealed 1 KiB send is
// acknowledged durably (group commit), pushed over the recipient's
// WebSocket and acked (the ack applied: the envelope deleted) — across
// 1,000 devices, everything on loopback.
func benchThroughput(b *testing.B, backend relaytest.Backend) {
	e := setupBench(b, backend)
	const senders, inflight = 16, 128
	conns := make([]*client.Conn, senders)
	anon, _ := client.New(e.url, nil)
	for i := range conns {
		c, err := anon.Dial(context.Background(), client.DialOptions{PingInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	body := make([]byte, 1024)
	_, _ = rand.Read(body)
	start0 := e.received.Load()
	b.SetBytes(int64(len(body)))
	stopProfile := benchProfile(b)
	cpu0 := processCPU()
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range senders * inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := conns[w%senders]
			for {
				n := next.Add(1) - 1
				if n >= int64(b.N) {
					return
				}
				d := e.devs[n%benchDevices]
				if _, err := c.Send(context.Background(), d.Addr, d.Token, body); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(2 * time.Minute)
	for e.received.Load()-start0 < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("received %d of %d", e.received.Load()-start0, b.N)
		}
		time.Sleep(time.Millisecond)
	}
	// "Acked" means the relay has applied the acks: wait until the store
	// holds no envelope (clients may hold an ack back for a moment).
	for {
		stats, err := e.st.Stats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if stats.Envelopes == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d envelopes still queued", stats.Envelopes)
		}
		time.Sleep(2 * time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	cpu := processCPU() - cpu0
	stopProfile()
	b.ReportMetric(float64(b.N)/el.Seconds(), "envelopes/s")
	// CPU time of the whole process (relay and every client socket) per
	// envelope: on a shared box this moves less with the load than the
	// rate does.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/envelope")
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchProfile writes a CPU profile of the measured part only (not the
// registration of 1,000 devices) to $SOTTO_BENCH_CPUPROFILE when set; the
// file is overwritten by each run of the benchmark, so it ends up holding
// the last (largest b.N) one. Do not combine with -cpuprofile.
func benchProfile(b *testing.B) (stop func()) {
	path := os.Getenv("SOTTO_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func BenchmarkRelayThroughputSQLite(b *testing.B) {
	benchThroughput(b, relaytest.Backends()[0])
}

func BenchmarkRelayThroughputPostgres(b *testing.B) {
	benchThroughput(b, relaytest.Backends()[1])
}
