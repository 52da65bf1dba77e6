package store

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// keyringService is the service name of every Sotto entry in the OS keyring;
// the account name is "profile-" + the profile's random 128-bit id, so two
// profiles on one machine never share an entry.
const keyringService = "im.sotto.store"

// keyringTimeout bounds every keyring call: go-keyring has no timeout of its
// own and can block forever when the Secret Service never answers.
var keyringTimeout = 10 * time.Second

// keyringBackend is the OS keyring as the store uses it.
type keyringBackend interface {
	// available reports whether a keyring can be tried at all.
	available() bool
	set(account, secret string) error
	get(account string) (string, error)
	delete(account string) error
}

// osKeyring is go-keyring with a timeout on every call.
type osKeyring struct{}

func (osKeyring) available() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	// Secret Service lives on the session bus; without one go-keyring may try
	// to autolaunch a bus and hang. No bus means no keyring.
	return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

// withTimeout runs f in a goroutine and gives up after keyringTimeout. A call
// that never returns leaks its goroutine; there is no way to cancel it.
func withTimeout[T any](op string, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(keyringTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, fmt.Errorf("%w: %s did not answer within %v", ErrKeyringUnavailable, op, keyringTimeout)
	}
}

// keyringError maps go-keyring's errors to ours without leaking the secret
// (go-keyring's errors never contain it).
func keyringError(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("keyring %s: %w", op, ErrKeyringEntryMissing)
	case errors.Is(err, ErrKeyringUnavailable):
		return err
	default:
		return fmt.Errorf("%w: keyring %s: %v", ErrKeyringUnavailable, op, err)
	}
}

func (osKeyring) set(account, secret string) error {
	_, err := withTimeout("set", func() (struct{}, error) {
		return struct{}{}, keyring.Set(keyringService, account, secret)
	})
	return keyringError("set", err)
}

func (osKeyring) get(account string) (string, error) {
	s, err := withTimeout("get", func() (string, error) {
		return keyring.Get(keyringService, account)
	})
	return s, keyringError("get", err)
}

func (osKeyring) delete(account string) error {
	_, err := withTimeout("delete", func() (struct{}, error) {
		return struct{}{}, keyring.Delete(keyringService, account)
	})
	return keyringError("delete", err)
}
