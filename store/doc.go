// Package store owns the client's local state: history, contacts, sessions
// and settings in SQLite (modernc.org/sqlite), encrypted column by column with
// keys derived from a master key that is kept in the OS keyring (or wrapped by
// a passphrase when no keyring exists), and a blind search index.
//
// Rules: nothing is written to disk in plaintext except ids, timestamps and
// foreign keys. store does not import calls/ or relay/.
//
// A profile is a directory. Create makes one with a fresh random master key
// and the caller's identity private key, both kept in the OS keyring
// (go-keyring, one entry per profile, named by the profile's random id) or
// wrapped with Argon2id under a passphrase; there is no plaintext mode. Open
// obtains the keys, migrates the schema, purges expired messages and starts
// the expiry timer.
//
// Every encrypted column has its own XChaCha20-Poly1305 key (HKDF from the
// master key) and binds table, column and row id as associated data, so a
// ciphertext copied elsewhere fails with ErrTampered. Search uses HMAC tokens
// of normalised words and their prefixes; the file holds no words.
//
// UpdateSession is the protocol's atomic step: the new ratchet state, the
// message it produced and the prekeys it consumed commit in one transaction.
// Acknowledge an envelope to the relay only after it returns.
//
// Backup writes the whole profile to one file encrypted under a generated
// recovery key; Restore makes a new profile from it.
//
// docs/STORE.md describes the key hierarchy, the schema, the index and the
// file formats.
package store
