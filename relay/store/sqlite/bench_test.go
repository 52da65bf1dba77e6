package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// BenchmarkEnqueue measures group-committed 1 KiB enqueues from 512
// concurrent senders across 1,000 device queues.
func BenchmarkEnqueue(b *testing.B) {
	benchQueue(b, false)
}

// BenchmarkEnqueueAck is the relay's steady state seen by the store: each
// of 512 senders enqueues a 1 KiB envelope to one of 1,000 devices and
// acks it once committed, so every group commit holds about as many acks
// (deletes) as inserts. It reports the process CPU per envelope.
func BenchmarkEnqueueAck(b *testing.B) {
	benchQueue(b, true)
}

func benchQueue(b *testing.B, ack bool) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "r.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	addrs := make([]api.Addr, 1000)
	for i := range addrs {
		addrs[i] = api.AddrFromKey(fmt.Appendf(nil, "k%d", i))
		h := handle.MustParse(fmt.Sprintf("user_%d", i))
		if err := s.CreateAccount(ctx, store.Account{HandleHash: h.Hash(), SkeletonHash: handle.Hash(h.Hash()), IdentityKey: []byte("k"), Created: time.Now()},
			store.Device{Addr: addrs[i], Certificate: make([]byte, 200), Created: time.Now()}, nil); err != nil {
			b.Fatal(err)
		}
	}
	body := make([]byte, 1024)
	var next atomic.Int64
	cpu0 := processCPU()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 512 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1) - 1
				if n >= int64(b.N) {
					return
				}
				to := addrs[n%1000]
				seq, err := s.Enqueue(ctx, store.Envelope{To: to, ID: api.NewEnvelopeID(), SentAt: time.Now(), Expires: time.Now().Add(time.Hour), Body: body})
				if err != nil {
					b.Error(err)
					return
				}
				if ack {
					if err := s.Ack(ctx, to, seq); err != nil {
						b.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "envelopes/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/envelope")
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
