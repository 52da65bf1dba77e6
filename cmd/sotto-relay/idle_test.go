package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// BenchmarkIdleConnections holds SOTTO_RELAY_IDLE_CONNS (default 19,000)
// authenticated, idle WebSockets on one relay process and reports the
// relay's RSS per connection (VmRSS after minus before, divided by the
// count). Source addresses are spread over 127.0.0.x. The count is bounded
// by the open-file limit of both processes. Run it alone:
//
//	go test -run XXX -bench IdleConnections -benchtime 1x ./cmd/sotto-relay/
func BenchmarkIdleConnections(b *testing.B) {
	n := 19000
	if v := os.Getenv("SOTTO_RELAY_IDLE_CONNS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("SOTTO_RELAY_IDLE_CONNS=%q", v)
		}
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		if int(lim.Cur) < n+500 {
			b.Fatalf("open-file limit %d is too small for %d connections (set SOTTO_RELAY_IDLE_CONNS lower)", lim.Cur, n)
		}
	}
	// The store lives in memory-backed /dev/shm when there is one: this
	// measures connections, not registrations' fsyncs.
	dir := b.TempDir()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "sotto-idle"); err == nil {
			dir = d
			b.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	p := startRelay(b, "--listen", "127.0.0.1:0", "--insecure-loopback", "--store", "sqlite:"+filepath.Join(dir, "r.db"),
		"--pow-bits", "0", "--pow-memory", "8", "--no-rate-limits", "--max-conns", strconv.Itoa(n+100), "--max-conns-per-ip", "0")
	start := time.Now()
	devs := make([]*relaytest.Device, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2*runtime.NumCPU())
	for i := range devs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d := relaytest.NewDevice(b, relaytest.Name("idle", i), 0).Register(b, p.url)
			if _, err := d.Client.Token(context.Background()); err != nil {
				b.Error(err)
			}
			devs[i] = d
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	b.Logf("registered and authenticated %d devices in %v", n, time.Since(start).Round(time.Second))
	// Connections made during registration are idle HTTP keep-alives;
	// drop them so the baseline holds no connections.
	for _, d := range devs {
		d.Client.CloseIdle()
	}
	time.Sleep(2 * time.Second)
	before := rss(b, p.cmd.Process.Pid)

	start = time.Now()
	conns := make([]*client.Conn, n)
	for i, d := range devs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ip := net.IPv4(127, 0, byte(1+i/15000), byte(1+i%250))
			c, err := d.Client.Dial(context.Background(), client.DialOptions{Authenticated: true, LocalIP: ip, PingInterval: 30 * time.Second, Buffer: 1})
			if err != nil {
				b.Errorf("connection %d: %v", i, err)
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	b.Logf("opened %d WebSockets in %v", n, time.Since(start).Round(time.Second))
	time.Sleep(5 * time.Second) // idle
	after := rss(b, p.cmd.Process.Pid)
	open := 0
	for _, c := range conns {
		select {
		case <-c.Done():
		default:
			open++
		}
	}
	per := float64(after-before) / float64(n)
	msg := fmt.Sprintf("idle connections: %d open of %d; relay RSS %.1f MiB before, %.1f MiB after: %.1f KiB per connection",
		open, n, float64(before)/1024, float64(after)/1024, per)
	b.Log(msg)
	fmt.Println(msg)
	b.ReportMetric(per, "KiB-RSS/conn")
	if open != n {
		b.Fatalf("%d connections dropped while idle", n-open)
	}
	for _, c := range conns {
		c.Close()
	}
}

// rss returns a process's resident set in KiB.
func rss(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}
