package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Protection says where a profile's keys live.
type Protection int

const (
	// ProtectionAuto (only for Create and Restore) uses the OS keyring when one
	// is reachable and otherwise requires a passphrase.
	ProtectionAuto Protection = iota
	// ProtectionKeyring keeps the keys in the OS keyring.
	ProtectionKeyring
	// ProtectionPassphrase wraps the keys with a passphrase (Argon2id) in the
	// profile directory.
	ProtectionPassphrase
)

func (p Protection) String() string {
	switch p {
	case ProtectionAuto:
		return "auto"
	case ProtectionKeyring:
		return "keyring"
	case ProtectionPassphrase:
		return "passphrase"
	}
	return fmt.Sprintf("Protection(%d)", int(p))
}

// kdfParams are Argon2id parameters.
type kdfParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

var (
	// passphraseKDF is what new wrappings use; minKDF is the floor accepted
	// when opening (a profile file cannot talk us into weaker parameters).
	// Tests lower both through setTestKDF; nothing else changes them.
	passphraseKDF = kdfParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}
	minKDF        = kdfParams{Time: 3, MemoryKiB: 64 << 10, Threads: 1}
)

const profileFileName = "profile.json"

// profileFile is profile.json: everything needed to find or unwrap the keys.
// It never holds a key in the clear.
type profileFile struct {
	Format     int            `json:"format"`
	ProfileID  string         `json:"profile_id"` // 32 hex digits, random
	Protection string         `json:"protection"` // "keyring" | "passphrase"
	KeyCheck   []byte         `json:"key_check"`  // HMAC under a key derived from the master key
	Keyring    *keyringRef    `json:"keyring,omitempty"`
	Passphrase *wrappedSecret `json:"passphrase,omitempty"`
}

type keyringRef struct {
	Service string `json:"service"`
	Account string `json:"account"`
}

type wrappedSecret struct {
	KDF     string    `json:"kdf"` // "argon2id"
	Params  kdfParams `json:"params"`
	Salt    []byte    `json:"salt"`
	Nonce   []byte    `json:"nonce"`
	Wrapped []byte    `json:"wrapped"`
}

// secrets are the two keys a profile needs: the random master key and the
// identity private key handed to Create.
type secrets struct {
	master   []byte
	identity []byte
}

const secretsMagic = "SSK1"

func (s secrets) marshal() []byte {
	b := make([]byte, 0, len(secretsMagic)+masterKeySize+4+len(s.identity))
	b = append(b, secretsMagic...)
	b = append(b, s.master...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.identity)))
	return append(b, s.identity...)
}

func parseSecrets(b []byte) (secrets, error) {
	if len(b) < len(secretsMagic)+masterKeySize+4 || string(b[:4]) != secretsMagic {
		return secrets{}, errors.New("malformed key blob")
	}
	b = b[4:]
	s := secrets{master: bytes.Clone(b[:masterKeySize])}
	b = b[masterKeySize:]
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint32(len(b)) != n {
		return secrets{}, errors.New("malformed key blob")
	}
	s.identity = bytes.Clone(b)
	return s, nil
}

func (s secrets) wipe() {
	clear(s.master)
	clear(s.identity)
}

func newProfileID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("store: rand: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

func keyringAccount(profileID string) string { return "profile-" + profileID }

func wrapAD(profileID string) []byte { return []byte("sotto/store/v1/wrap\x00" + profileID) }

// wrapWithPassphrase seals s under Argon2id(passphrase).
func wrapWithPassphrase(profileID string, s secrets, passphrase []byte) (*wrappedSecret, error) {
	if len(passphrase) == 0 {
		return nil, ErrPassphraseRequired
	}
	w := &wrappedSecret{KDF: "argon2id", Params: passphraseKDF, Salt: make([]byte, 16), Nonce: make([]byte, chacha20poly1305.NonceSizeX)}
	if _, err := rand.Read(w.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(w.Nonce); err != nil {
		return nil, err
	}
	kek := argon2.IDKey(passphrase, w.Salt, w.Params.Time, w.Params.MemoryKiB, w.Params.Threads, 32)
	defer clear(kek)
	a, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, err
	}
	pt := s.marshal()
	defer clear(pt)
	w.Wrapped = a.Seal(nil, w.Nonce, pt, wrapAD(profileID))
	return w, nil
}

func (w *wrappedSecret) unwrap(profileID string, passphrase []byte) (secrets, error) {
	if len(passphrase) == 0 {
		return secrets{}, ErrPassphraseRequired
	}
	kek := argon2.IDKey(passphrase, w.Salt, w.Params.Time, w.Params.MemoryKiB, w.Params.Threads, 32)
	defer clear(kek)
	a, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return secrets{}, err
	}
	pt, err := a.Open(nil, w.Nonce, w.Wrapped, wrapAD(profileID))
	if err != nil {
		return secrets{}, ErrWrongPassphrase
	}
	defer clear(pt)
	s, err := parseSecrets(pt)
	if err != nil {
		return secrets{}, fmt.Errorf("%w: wrapped keys: %v", ErrCorruptProfile, err)
	}
	return s, nil
}

func (pf *profileFile) validate() error {
	if pf.Format != 1 {
		return fmt.Errorf("unsupported format %d", pf.Format)
	}
	if b, err := hex.DecodeString(pf.ProfileID); err != nil || len(b) != 16 {
		return errors.New("bad profile_id")
	}
	if len(pf.KeyCheck) != 16 {
		return errors.New("bad key_check")
	}
	switch pf.Protection {
	case "keyring":
		if pf.Keyring == nil || pf.Keyring.Account != keyringAccount(pf.ProfileID) || pf.Keyring.Service != keyringService {
			return errors.New("bad keyring reference")
		}
	case "passphrase":
		w := pf.Passphrase
		if w == nil || w.KDF != "argon2id" || len(w.Salt) < 16 || len(w.Nonce) != chacha20poly1305.NonceSizeX || len(w.Wrapped) == 0 {
			return errors.New("bad passphrase wrapping")
		}
		if w.Params.Time < minKDF.Time || w.Params.MemoryKiB < minKDF.MemoryKiB || w.Params.Threads < minKDF.Threads {
			return errors.New("passphrase KDF parameters below the minimum")
		}
	default:
		return fmt.Errorf("unknown protection %q", pf.Protection)
	}
	return nil
}

func readProfileFile(dir string) (*profileFile, error) {
	b, err := os.ReadFile(filepath.Join(dir, profileFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoProfile, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	var pf profileFile
	if err := json.Unmarshal(b, &pf); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptProfile, profileFileName, err)
	}
	if err := pf.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptProfile, profileFileName, err)
	}
	return &pf, nil
}

// writeFileAtomic replaces path with data: temp file, fsync, rename, fsync dir.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Some platforms (Windows) cannot fsync a directory; the rename is still done.
	_ = d.Sync()
	return nil
}

func (pf *profileFile) write(dir string) error {
	b, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, profileFileName), b)
}

// unlock obtains the profile's secrets from where pf says they are.
func (pf *profileFile) unlock(kr keyringBackend, passphrase []byte) (secrets, error) {
	var s secrets
	switch pf.Protection {
	case "keyring":
		if !kr.available() {
			return s, fmt.Errorf("%w: no session bus (DBUS_SESSION_BUS_ADDRESS is empty)", ErrKeyringUnavailable)
		}
		enc, err := kr.get(pf.Keyring.Account)
		if err != nil {
			return s, err
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return s, fmt.Errorf("%w: keyring entry is not a Sotto key blob", ErrWrongKey)
		}
		s, err = parseSecrets(raw)
		clear(raw)
		if err != nil {
			return s, fmt.Errorf("%w: keyring entry is not a Sotto key blob", ErrWrongKey)
		}
	case "passphrase":
		var err error
		if s, err = pf.Passphrase.unwrap(pf.ProfileID, passphrase); err != nil {
			return s, err
		}
	}
	if !hmac.Equal(keyCheck(s.master), pf.KeyCheck) {
		s.wipe()
		return secrets{}, ErrWrongKey
	}
	return s, nil
}

// protect records s in pf according to p: into the keyring, or wrapped by
// passphrase. It does not write pf to disk.
func (pf *profileFile) protect(kr keyringBackend, p Protection, s secrets, passphrase []byte) error {
	switch p {
	case ProtectionAuto:
		if kr.available() {
			if err := pf.protect(kr, ProtectionKeyring, s, nil); err == nil {
				return nil
			} else if !errors.Is(err, ErrKeyringUnavailable) {
				return err
			}
		}
		if len(passphrase) == 0 {
			return fmt.Errorf("no OS keyring reachable: %w", ErrPassphraseRequired)
		}
		return pf.protect(kr, ProtectionPassphrase, s, passphrase)
	case ProtectionKeyring:
		if !kr.available() {
			return fmt.Errorf("%w: no session bus (DBUS_SESSION_BUS_ADDRESS is empty)", ErrKeyringUnavailable)
		}
		ref := &keyringRef{Service: keyringService, Account: keyringAccount(pf.ProfileID)}
		raw := s.marshal()
		enc := base64.StdEncoding.EncodeToString(raw)
		clear(raw)
		if err := kr.set(ref.Account, enc); err != nil {
			return err
		}
		// Read it back: a keyring that accepts a write but cannot return it
		// would otherwise lock the user out on the next start.
		got, err := kr.get(ref.Account)
		if err != nil {
			return err
		}
		if got != enc {
			return fmt.Errorf("%w: keyring returned a different value than was stored", ErrKeyringUnavailable)
		}
		pf.Protection, pf.Keyring, pf.Passphrase = "keyring", ref, nil
	case ProtectionPassphrase:
		w, err := wrapWithPassphrase(pf.ProfileID, s, passphrase)
		if err != nil {
			return err
		}
		pf.Protection, pf.Keyring, pf.Passphrase = "passphrase", nil, w
	default:
		return fmt.Errorf("store: unknown protection %v", p)
	}
	pf.KeyCheck = keyCheck(s.master)
	return nil
}
