package store

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; every error the
// package returns wraps one of these or carries what was being done.
var (
	// ErrTampered means a stored ciphertext failed authentication: it was
	// modified, truncated, or moved to another table, column or row.
	ErrTampered = errors.New("store: ciphertext failed authentication (tampered or moved)")

	// ErrWrongPassphrase means the passphrase does not unwrap the profile's keys.
	ErrWrongPassphrase = errors.New("store: wrong passphrase")

	// ErrPassphraseRequired means the profile's keys are wrapped by a
	// passphrase (or no keyring is reachable to create one) and none was given.
	ErrPassphraseRequired = errors.New("store: a passphrase is required")

	// ErrKeyringUnavailable means the OS keyring could not be reached (no
	// session bus, no Secret Service provider, locked, or it did not answer in
	// time). The store never falls back to plaintext keys.
	ErrKeyringUnavailable = errors.New("store: OS keyring unavailable")

	// ErrKeyringEntryMissing means the profile says its keys are in the OS
	// keyring but the keyring has no entry for it.
	ErrKeyringEntryMissing = errors.New("store: keys not found in the OS keyring")

	// ErrWrongKey means the key material obtained (from the keyring) does not
	// match the profile it is meant to open.
	ErrWrongKey = errors.New("store: keys do not belong to this profile")

	// ErrNoProfile means the directory holds no profile.
	ErrNoProfile = errors.New("store: no profile in directory")

	// ErrProfileExists means Create or Restore was pointed at a directory that
	// already holds a profile or other files.
	ErrProfileExists = errors.New("store: directory is not empty")

	// ErrCorruptProfile means a file of the profile could not be parsed. Nothing
	// is modified when this is returned.
	ErrCorruptProfile = errors.New("store: profile file is corrupt")

	// ErrSchemaTooNew means the database was written by a newer Sotto.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this program")

	// ErrNotFound means the requested row does not exist (or has expired).
	ErrNotFound = errors.New("store: not found")

	// ErrClosed means the profile was closed.
	ErrClosed = errors.New("store: profile closed")

	// ErrDuplicate means a message with the same remote id is already stored.
	ErrDuplicate = errors.New("store: duplicate message")

	// ErrWrongRecoveryKey means the recovery key does not open the backup.
	ErrWrongRecoveryKey = errors.New("store: wrong recovery key")

	// ErrCorruptBackup means the backup file is truncated or was modified.
	ErrCorruptBackup = errors.New("store: backup file is corrupt or truncated")
)
