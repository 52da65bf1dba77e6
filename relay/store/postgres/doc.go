// Package postgres is the relay's scale-out store: many relay nodes share
// one PostgreSQL (pgx v5). Envelope writes and acks are group-committed like
// the SQLite store's; each node records which devices it holds
// (presence), and an enqueue NOTIFYs the holding node's channel inside the
// same transaction, so the wake-up is sent exactly when the envelope is
// committed.
//
// Rules: holds only what store.Store allows; never imports app/, store/
// (the client's) or calls/.
package postgres
