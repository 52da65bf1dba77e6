package messenger

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
)

// retryCounter counts "envelope will be retried" log lines.
type retryCounter struct {
	slog.Handler
	n *atomic.Int64
}

func (r retryCounter) Handle(ctx context.Context, rec slog.Record) error {
	if strings.Contains(rec.Message, "will be retried") {
		r.n.Add(1)
	}
	return r.Handler.Handle(ctx, rec)
}

// TestBothWaysAtOnce: two accounts write to each other as fast as they can
// while each also receives (and acknowledges with receipts): sends and
// receives step the same ratchet concurrently. Every message arrives, and
// no envelope has to go back to the relay for a second delivery because a
// receive step lost a race with a send.
func TestBothWaysAtOnce(t *testing.T) {
	ctx := context.Background()
	url := startRelay(t)
	alice, bob := newPeer(t, url, "alice"), newPeer(t, url, "bob")
	var retries atomic.Int64
	for _, p := range []*peer{alice, bob} {
		p.m.cfg.Log = slog.New(retryCounter{Handler: p.m.cfg.Log.Handler(), n: &retries})
	}
	if _, err := alice.m.SendText(ctx, handle.MustParse("bob"), "hi", 0); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("alice's first message", func(e Event) bool { return e.Kind == EventRequest })
	const n = 150
	var wg sync.WaitGroup
	for _, pair := range [][2]*peer{{alice, bob}, {bob, alice}} {
		from, to := pair[0], pair[1]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if _, err := from.m.SendText(ctx, to.m.Handle(), fmt.Sprint("m", i), 0); err != nil {
					t.Errorf("%s: send %d: %v", from.m.Handle(), i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	last := fmt.Sprint("m", n-1)
	for _, p := range []struct {
		who  *peer
		with string
	}{{alice, "bob"}, {bob, "alice"}} {
		deadline := time.Now().Add(60 * time.Second)
		for {
			h := p.who.history(t, p.with)
			if len(h) > 0 && h[len(h)-1].Body == last {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s has %d messages from %s, the last %q", p.who.m.Handle(), len(h), p.with, h[len(h)-1].Body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if r := retries.Load(); r != 0 {
		t.Fatalf("%d envelopes went back to the relay", r)
	}
}
