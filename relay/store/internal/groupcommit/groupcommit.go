// Package groupcommit batches concurrent write requests into one
// transaction: the first request opens a window of at most Window, every
// request arriving within it (up to MaxBatch) joins, then the batch is
// committed once and every caller is answered only after that commit.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned for requests after Close.
var ErrClosed = errors.New("groupcommit: closed")

// Request is one queued write. Commit fills Result and Err for each.
type Request[T any, R any] struct {
	Ctx    context.Context
	In     T
	Result R
	Err    error
	done   chan struct{}
	// then, for Go's requests, is called instead of signalling done.
	then func(R, error)
}

// Committer runs one batch in one transaction. It sets each request's
// Result or Err; if it returns an error, every request without its own Err
// gets that error (nothing of the batch was committed).
type Committer[T any, R any] func(batch []*Request[T, R]) error

// Writer is a group-commit queue.
type Writer[T any, R any] struct {
	commit   Committer[T, R]
	window   time.Duration
	maxBatch int
	in       chan *Request[T, R]
	full     chan struct{} // a batch's worth is queued: end the window
	quit     chan struct{}
	wg       sync.WaitGroup
	pool     sync.Pool
	// mu guards closed: Do holds it shared while queueing so that Close,
	// which takes it exclusively, knows no request can arrive after it.
	mu     sync.RWMutex
	closed bool
}

// New starts a writer. window ≤ 0 means "commit what has queued, no
// waiting".
func New[T any, R any](commit Committer[T, R], window time.Duration, maxBatch int) *Writer[T, R] {
	if maxBatch < 1 {
		maxBatch = 1
	}
	w := &Writer[T, R]{commit: commit, window: window, maxBatch: maxBatch,
		in: make(chan *Request[T, R], 4*maxBatch), full: make(chan struct{}, 1), quit: make(chan struct{})}
	w.pool.New = func() any { return &Request[T, R]{done: make(chan struct{}, 1)} }
	w.wg.Add(1)
	go w.loop()
	return w
}

// Do queues in and waits for its commit.
func (w *Writer[T, R]) Do(ctx context.Context, in T) (R, error) {
	var zero R
	r := w.pool.Get().(*Request[T, R])
	r.Ctx, r.In, r.Result, r.Err = ctx, in, zero, nil
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return zero, ErrClosed
	}
	select {
	case w.in <- r:
		w.mu.RUnlock()
		w.signalFull()
	case <-ctx.Done():
		w.mu.RUnlock()
		return zero, ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the write may
	// commit and the request must not be reused while the writer holds it.
	<-r.done
	res, err := r.Result, r.Err
	var zt T
	r.In, r.Ctx = zt, nil
	w.pool.Put(r)
	return res, err
}

// Go queues in and returns; then is called with the outcome once, after
// the commit, on the writer's goroutine (or on the caller's when in cannot
// be queued), so it must be quick and must not call Do or Go. It saves the
// goroutine a caller would otherwise park in Do for each write. Go blocks
// only while the queue is full.
func (w *Writer[T, R]) Go(ctx context.Context, in T, then func(R, error)) {
	var zero R
	r := &Request[T, R]{Ctx: ctx, In: in, then: then}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		then(zero, ErrClosed)
		return
	}
	select {
	case w.in <- r:
		w.mu.RUnlock()
		w.signalFull()
	case <-ctx.Done():
		w.mu.RUnlock()
		then(zero, ctx.Err())
	}
}

// signalFull ends the writer's window early once a whole batch waits (the
// writer holds the batch's first request while its window is open).
func (w *Writer[T, R]) signalFull() {
	if len(w.in)+1 >= w.maxBatch {
		select {
		case w.full <- struct{}{}:
		default:
		}
	}
}

// answer hands r its outcome.
func (r *Request[T, R]) answer() {
	if r.then != nil {
		r.then(r.Result, r.Err)
		return
	}
	r.done <- struct{}{}
}

func (w *Writer[T, R]) loop() {
	defer w.wg.Done()
	batch := make([]*Request[T, R], 0, w.maxBatch)
	var timer *time.Timer
	for {
		batch = batch[:0]
		select {
		case r := <-w.in:
			batch = append(batch, r)
		case <-w.quit:
			w.drainClosed()
			return
		}
		if w.window > 0 {
			// Sleep through the window, then take what has queued: the
			// requests wait in the channel's buffer instead of waking the
			// writer one by one (a goroutine switch per envelope).
			select {
			case <-w.full: // stale: from a batch already taken
			default:
			}
			if len(w.in)+len(batch) < w.maxBatch {
				if timer == nil {
					timer = time.NewTimer(w.window)
				} else {
					timer.Reset(w.window)
				}
				select {
				case <-timer.C:
				case <-w.full:
					if !timer.Stop() {
						select {
						case <-timer.C:
						default:
						}
					}
				}
			}
		}
	drain:
		for len(batch) < w.maxBatch {
			select {
			case r := <-w.in:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		w.run(batch)
	}
}

func (w *Writer[T, R]) run(batch []*Request[T, R]) {
	err := w.commit(batch)
	for _, r := range batch {
		if err != nil && r.Err == nil {
			r.Err = err
		}
		r.answer()
	}
}

func (w *Writer[T, R]) drainClosed() {
	for {
		select {
		case r := <-w.in:
			r.Err = ErrClosed
			r.answer()
		default:
			return
		}
	}
}

// Close stops the writer after the batch in progress; queued requests get
// ErrClosed.
func (w *Writer[T, R]) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.quit)
	}
	w.mu.Unlock()
	w.wg.Wait()
}
