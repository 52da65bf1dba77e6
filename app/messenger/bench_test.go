package messenger

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/store"
)

// BenchmarkE2ESend measures a message end to end through a real relay on
// loopback: Alice encrypts, seals and sends (the relay stores it durably and
// acknowledges); Bob's receive loop opens, decrypts and stores it in his
// encrypted profile. Reports messages/s and the p50/p99 latency from send to
// Bob's commit.
func BenchmarkE2ESend(b *testing.B) {
	ctx := context.Background()
	url := startRelayTB(b)
	alice := benchPeer(b, url, "alice")
	arrived := make(chan time.Time, 1024)
	bob := benchPeer(b, url, "bob")
	bob.events = func(e Event) {
		if e.Kind == EventMessage {
			arrived <- time.Now()
		}
	}
	// Warm up: the first message sets up the session.
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "warm up", 0); err != nil {
		b.Fatal(err)
	}
	<-arrived
	var lat []time.Duration
	start := time.Now()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), fmt.Sprintf("message %d", i), 0); err != nil {
			b.Fatal(err)
		}
		select {
		case t1 := <-arrived:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(10 * time.Second):
			b.Fatal("message did not arrive")
		}
	}
	b.StopTimer()
	elapsed := time.Since(start)
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// benchAccount is a peer for benchmarks (no *testing.T to report to).
type benchAccount struct {
	m      *Messenger
	events func(Event)
}

func (a *benchAccount) Emit(e Event) {
	if a.events != nil {
		a.events(e)
	}
}

func benchPeer(b *testing.B, url, name string) *benchAccount {
	b.Helper()
	a := &benchAccount{}
	dir := filepath.Join(b.TempDir(), name)
	m, err := Create(context.Background(), Config{Dir: dir, Store: store.Options{Protection: store.ProtectionPassphrase, Passphrase: []byte("bench")},
		Events: EmitterFunc(func(e Event) { a.Emit(e) })}, url, handle.MustParse(name), nil)
	if err != nil {
		b.Fatal(err)
	}
	a.m = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done; m.Close() })
	return a
}
