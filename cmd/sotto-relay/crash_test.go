package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

func TestCrashSQLite(t *testing.T) {
	crashTest(t, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
}

func TestCrashPostgres(t *testing.T) {
	crashTest(t, relaytest.PostgresDSN(t))
}

// crashTest: a load generator sends envelopes to many devices (one ordered
// sender per device) while receivers consume and ack, and the relay
// process is SIGKILLed at random moments and restarted on the same store
// and port. Every envelope whose send was acknowledged must be delivered,
// none twice, and per device in send order.
func crashTest(t *testing.T, dsn string) {
	const devices, perDevice, kills = 16, 120, 4
	listen := freePort(t)
	args := []string{"--listen", listen, "--insecure-loopback", "--store", dsn, "--pow-bits", "1", "--pow-memory", "8", "--no-rate-limits"}
	p := startRelay(t, args...)
	url := p.url

	devs := make([]*relaytest.Device, devices)
	for i := range devs {
		devs[i] = relaytest.NewDevice(t, relaytest.Name("crash", i), 0).Register(t, url)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Receivers: record each handled envelope's body.
	var mu sync.Mutex
	got := make([][]int, devices)
	var recvWG sync.WaitGroup
	for i, d := range devs {
		recvWG.Add(1)
		go func() {
			defer recvWG.Done()
			_, _ = d.Client.Receive(ctx, 0, client.Backoff{Min: 20 * time.Millisecond, Max: 300 * time.Millisecond}, func(_ context.Context, e client.Envelope) error {
				n, err := strconv.Atoi(strings.TrimPrefix(string(e.Body), fmt.Sprintf("d%02d-", i)))
				if err != nil {
					t.Errorf("device %d: foreign envelope %q", i, e.Body)
				}
				mu.Lock()
				got[i] = append(got[i], n)
				mu.Unlock()
				return nil
			})
		}()
	}

	// Senders: one per device, in order; an unacknowledged send is retried
	// with a new number (its fate is unknown: delivered at most once).
	acked := make([][]int, devices)
	var attempts, failures atomic.Int64
	var sendWG sync.WaitGroup
	anon, _ := client.New(url, nil)
	for i, d := range devs {
		sendWG.Add(1)
		go func() {
			defer sendWG.Done()
			for n := 0; len(acked[i]) < perDevice; n++ {
				attempts.Add(1)
				sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := anon.SendSealed(sctx, d.Addr, d.Token, fmt.Appendf(nil, "d%02d-%d", i, n))
				scancel()
				if err != nil {
					failures.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				acked[i] = append(acked[i], n)
			}
		}()
	}

	// Killer: SIGKILL at random moments, restart on the same store.
	sendDone := make(chan struct{})
	go func() { sendWG.Wait(); close(sendDone) }()
	killed := 0
	for killed < kills {
		select {
		case <-sendDone:
		case <-time.After(time.Duration(150+rand.IntN(500)) * time.Millisecond):
		}
		p.kill()
		killed++
		p = startRelay(t, args...)
		if p.url != url {
			t.Fatalf("restarted on %s, not %s", p.url, url)
		}
	}
	<-sendDone

	// Wait until every acknowledged envelope has been handled.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		done := true
		for i := range devs {
			seen := map[int]bool{}
			for _, n := range got[i] {
				seen[n] = true
			}
			for _, n := range acked[i] {
				if !seen[n] {
					done = false
				}
			}
		}
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("acknowledged envelopes not delivered within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	recvWG.Wait()

	var totalAcked, delivered, dups, disorder, unackedDelivered int
	for i := range devs {
		ackedSet := map[int]bool{}
		for _, n := range acked[i] {
			ackedSet[n] = true
		}
		totalAcked += len(acked[i])
		seen := map[int]bool{}
		last := -1
		for _, n := range got[i] {
			delivered++
			if seen[n] {
				dups++
			}
			seen[n] = true
			if n <= last {
				disorder++
			}
			last = n
			if !ackedSet[n] {
				unackedDelivered++
			}
		}
		for n := range ackedSet {
			if !seen[n] {
				t.Errorf("device %d: acknowledged envelope %d lost", i, n)
			}
		}
	}
	t.Logf("crash test (%s): %d kills, %d send attempts, %d acknowledged, %d failed, %d delivered (%d of them unacknowledged sends), %d duplicates, %d out of order",
		strings.SplitN(dsn, ":", 2)[0], killed, attempts.Load(), totalAcked, failures.Load(), delivered, unackedDelivered, dups, disorder)
	fmt.Printf("crash %s: kills=%d attempts=%d acked=%d failed=%d delivered=%d unacked_delivered=%d duplicates=%d out_of_order=%d\n",
		strings.SplitN(dsn, ":", 2)[0], killed, attempts.Load(), totalAcked, failures.Load(), delivered, unackedDelivered, dups, disorder)
	if dups != 0 || disorder != 0 {
		t.Fatalf("%d duplicates, %d out of order", dups, disorder)
	}
}
