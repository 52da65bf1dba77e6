// Package queuewrite is the envelope queue's two writes — enqueue and ack —
// as requests to a group-commit writer. The SQLite and PostgreSQL stores
// share it and differ only in how they commit a batch.
package queuewrite

import (
	"context"
	"time"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
	"github.com/sotto-im/sotto/relay/store/internal/groupcommit"
)

// Kind says which write an Op is.
type Kind uint8

const (
	// Enqueue stores Env in its device's queue.
	Enqueue Kind = iota + 1
	// Ack deletes Addr's envelopes up to sequence UpTo.
	Ack
)

// Op is one write.
type Op struct {
	Kind Kind
	Env  store.Envelope
	Addr api.Addr
	UpTo uint64
}

// Request is an Op queued in the writer; a commit sets Result (an
// enqueued envelope's sequence) or Err.
type Request = groupcommit.Request[Op, uint64]

// Writer gives a store Enqueue, Ack, EnqueueAsync and AckAsync
// (store.Store's and store.AsyncWriter's writes) over one group-commit
// writer. The zero Writer is stopped.
type Writer struct {
	gc *groupcommit.Writer[Op, uint64]
}

// Start starts the group-commit writer that runs commit for every batch.
func Start(commit groupcommit.Committer[Op, uint64], window time.Duration, maxBatch int) Writer {
	return Writer{gc: groupcommit.New(commit, window, maxBatch)}
}

// Enqueue implements store.Store.
func (w Writer) Enqueue(ctx context.Context, e store.Envelope) (uint64, error) {
	return w.gc.Do(ctx, Op{Kind: Enqueue, Env: e})
}

// Ack implements store.Store.
func (w Writer) Ack(ctx context.Context, addr api.Addr, upTo uint64) error {
	_, err := w.gc.Do(ctx, Op{Kind: Ack, Addr: addr, UpTo: upTo})
	return err
}

// EnqueueAsync implements store.AsyncWriter.
func (w Writer) EnqueueAsync(ctx context.Context, e store.Envelope, done func(uint64, error)) {
	w.gc.Go(ctx, Op{Kind: Enqueue, Env: e}, done)
}

// AckAsync implements store.AsyncWriter.
func (w Writer) AckAsync(ctx context.Context, addr api.Addr, upTo uint64, done func(error)) {
	w.gc.Go(ctx, Op{Kind: Ack, Addr: addr, UpTo: upTo}, func(_ uint64, err error) { done(err) })
}

// Stop commits what is queued and stops the writer.
func (w Writer) Stop() {
	if w.gc != nil {
		w.gc.Close()
	}
}
