package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sotto-im/sotto/store"
)

// Backup writes the whole profile (history, contacts, keys) to one encrypted
// file at path, which must not exist yet, and returns the recovery key that
// opens it. The key is shown once and kept nowhere.
func (c *Chats) Backup(path string) (string, error) {
	m, err := c.messenger()
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", say(err, "The backup cannot be written there (the file may already exist).")
	}
	key, err := m.Store().Backup(context.Background(), f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("backup: %w", err)
	}
	return key, nil
}

// Restore makes this (empty) profile from a backup file and its recovery key,
// protecting the keys with the OS keyring or, where there is none, the
// passphrase; then opens it and starts receiving.
func (c *Chats) Restore(path, recoveryKey, passphrase string) (AccountStatus, error) {
	if c.Status().HasProfile {
		return AccountStatus{}, errors.New("this profile already has an account: restore into a new profile")
	}
	f, err := os.Open(path)
	if err != nil {
		return AccountStatus{}, say(err, "That backup file cannot be opened.")
	}
	defer f.Close()
	opts := c.config(passphrase).Store
	p, err := store.Restore(context.Background(), f, recoveryKey, c.dataDir, opts)
	if err != nil {
		return AccountStatus{}, userError(err)
	}
	if err := p.Close(); err != nil {
		return AccountStatus{}, err
	}
	return c.Unlock(passphrase)
}
