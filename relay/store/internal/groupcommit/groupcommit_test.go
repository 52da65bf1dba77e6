package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBatchesAndAnswersAfterCommit(t *testing.T) {
	var batches, committed atomic.Int64
	var mu sync.Mutex
	seen := map[int]bool{}
	w := New(func(b []*Request[int, int]) error {
		batches.Add(1)
		time.Sleep(time.Millisecond) // a "flush"
		mu.Lock()
		for _, r := range b {
			if r.In < 0 {
				r.Err = errors.New("negative")
				continue
			}
			seen[r.In] = true
			r.Result = r.In * 2
		}
		mu.Unlock()
		committed.Add(int64(len(b)))
		return nil
	}, 2*time.Millisecond, 64)
	defer w.Close()
	var wg sync.WaitGroup
	const n = 500
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := w.Do(context.Background(), i)
			if err != nil || got != 2*i {
				t.Errorf("Do(%d) = %d, %v", i, got, err)
			}
			mu.Lock()
			ok := seen[i]
			mu.Unlock()
			if !ok {
				t.Errorf("answered %d before its commit", i)
			}
		}()
	}
	wg.Wait()
	if _, err := w.Do(context.Background(), -1); err == nil {
		t.Fatal("per-request error lost")
	}
	if b := batches.Load(); b >= n/2 {
		t.Fatalf("%d batches for %d requests: not grouping", b, n)
	}
	t.Logf("%d requests in %d batches", n, batches.Load())
}

func TestCommitErrorReachesAll(t *testing.T) {
	w := New(func(b []*Request[int, int]) error { return errors.New("disk full") }, 0, 8)
	defer w.Close()
	if _, err := w.Do(context.Background(), 1); err == nil || err.Error() != "disk full" {
		t.Fatalf("got %v", err)
	}
}

func TestClose(t *testing.T) {
	w := New(func(b []*Request[int, int]) error { return nil }, time.Millisecond, 8)
	w.Close()
	w.Close()
	if _, err := w.Do(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestGoAnswersOnceAfterCommit(t *testing.T) {
	var mu sync.Mutex
	committed := map[int]bool{}
	w := New(func(b []*Request[int, int]) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range b {
			if r.In < 0 {
				r.Err = errors.New("negative")
				continue
			}
			committed[r.In] = true
			r.Result = r.In + 1
		}
		return nil
	}, time.Millisecond, 64)
	const n = 300
	answers := make([]atomic.Int32, n+1)
	var wg sync.WaitGroup
	wg.Add(n + 1)
	for i := range n {
		w.Go(context.Background(), i, func(got int, err error) {
			defer wg.Done()
			answers[i].Add(1)
			mu.Lock()
			ok := committed[i]
			mu.Unlock()
			if err != nil || got != i+1 || !ok {
				t.Errorf("Go(%d) answered %d, %v (committed: %v)", i, got, err, ok)
			}
		})
	}
	w.Go(context.Background(), -1, func(_ int, err error) {
		defer wg.Done()
		answers[n].Add(1)
		if err == nil {
			t.Error("per-request error lost")
		}
	})
	wg.Wait()
	w.Close()
	for i := range answers {
		if a := answers[i].Load(); a != 1 {
			t.Fatalf("request %d answered %d times", i, a)
		}
	}
	called := false
	w.Go(context.Background(), 1, func(_ int, err error) { called = errors.Is(err, ErrClosed) })
	if !called {
		t.Fatal("Go after Close must answer ErrClosed at once")
	}
}

// TestFullBatchEndsWindow: once MaxBatch requests wait, the writer commits
// them without sleeping out the rest of its window, and a request that
// arrives alone is committed after the window.
func TestFullBatchEndsWindow(t *testing.T) {
	sizes := make(chan int, 16)
	w := New(func(b []*Request[int, int]) error {
		sizes <- len(b)
		return nil
	}, time.Hour, 8)
	defer w.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		w.Go(context.Background(), i, func(int, error) { wg.Done() })
		if i == 0 {
			time.Sleep(20 * time.Millisecond) // the writer opens its window
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a full batch waited for the window")
	}
	total := 0
	for total < 8 {
		total += <-sizes
	}

	w2 := New(func(b []*Request[int, int]) error { return nil }, 20*time.Millisecond, 8)
	defer w2.Close()
	start := time.Now()
	if _, err := w2.Do(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("a lone request was committed after %v, before its window", el)
	}
}
