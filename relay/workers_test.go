package relay

import (
	"sync"
	"testing"
	"time"
)

// TestWorkersDoNotQueueBehindABlockedJob: a job that blocks (a write to a
// client that does not read) must not hold up the next one, idle workers
// are reused, and no more than maxIdle of them stay.
func TestWorkersDoNotQueueBehindABlockedJob(t *testing.T) {
	quit := make(chan struct{})
	defer close(quit)
	w := newWorkers(2, quit)
	release := make(chan struct{})
	w.run(func() { <-release })
	done := make(chan struct{})
	w.run(func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("second job waited for the blocked one")
	}
	close(release)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		w.run(wg.Done)
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for w.idle.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no worker went idle")
		}
		time.Sleep(time.Millisecond)
	}
	if n := w.idle.Load(); n > 2 {
		t.Fatalf("%d idle workers, at most 2 kept", n)
	}
}
