// Package store owns the client's local state: history, contacts, sessions
// and settings in SQLite (modernc.org/sqlite), encrypted column by column with
// keys derived from a master key that is kept in the OS keyring (or wrapped by
// a passphrase when no keyring exists), and a blind search index.
//
// Rules: nothing is written to disk in plaintext except ids, timestamps and
// foreign keys. store does not import calls/ or relay/.
package store
