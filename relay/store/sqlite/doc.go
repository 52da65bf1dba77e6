// Package sqlite is the relay's embedded store: one SQLite file
// (modernc.org/sqlite, no cgo) in WAL mode with synchronous=FULL. Envelope
// writes and acks go through a group-commit writer: every request arriving
// within the window (≤ 2 ms) is committed in one transaction, and each
// caller is answered only after that commit. Reads use a separate pool.
//
// Rules: holds only what store.Store allows; never imports app/, store/
// (the client's) or calls/.
package sqlite
