package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// BenchmarkEnqueue measures group-committed 1 KiB enqueues from 512
// concurrent senders across 1,000 device queues.
func BenchmarkEnqueue(b *testing.B) {
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
			store.Device{Addr: addrs[i], Certificate: []byte("c"), Created: time.Now()}, nil); err != nil {
			b.Fatal(err)
		}
	}
	body := make([]byte, 1024)
	var next atomic.Int64
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
				if _, err := s.Enqueue(ctx, store.Envelope{To: addrs[n%1000], ID: api.NewEnvelopeID(), SentAt: time.Now(), Expires: time.Now().Add(time.Hour), Body: body}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "envelopes/s")
}
