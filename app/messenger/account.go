package messenger

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/store"
)

// How many one-time prekeys a new device uploads, and how long its keys live
// (the signed and last-resort prekeys: see rotation.go).
const (
	oneTimeX25519Count = 100
	oneTimeMLKEMCount  = 20
	deviceCertLifetime = 5 * 365 * 24 * time.Hour
	prekeyLifetime     = 365 * 24 * time.Hour
)

// Settings names in the profile (values are encrypted by the store).
const (
	settingHandle   = "account.handle"
	settingRelayURL = "account.relay_url"
	settingRelayKey = "account.relay_key"
	settingToken    = "account.delivery_token"
	settingLastSeq  = "account.last_seq"
)

// Config is what Create and Open need besides the profile directory.
type Config struct {
	// Dir is the profile directory (app.Profile.DataDir()).
	Dir string
	// Store configures key protection (keyring or passphrase).
	Store store.Options
	// HTTPClient talks to the relay; nil means a default client.
	HTTPClient *http.Client
	// Now and Rand default to the real clock and crypto/rand.
	Now  func() time.Time
	Rand io.Reader
	// Log receives operational logs; never message text, keys or handles.
	Log *slog.Logger
	// Events receives what happens; nil drops events.
	Events Emitter
	// Transparency sets the key-transparency demands (witnesses).
	Transparency TransparencyConfig
}

func (c *Config) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Events == nil {
		c.Events = discardEvents{}
	}
}

// Messenger is one signed-in device: its keys, its profile and its relay.
// Methods are safe for concurrent use.
type Messenger struct {
	cfg      Config
	st       *store.Profile
	relay    *client.Client
	relayPub keys.RelayPublicKey
	handle   handle.Handle
	identity *keys.IdentityPrivateKey
	device   *keys.DevicePrivateKey
	cert     keys.DeviceCertificate
	token    []byte

	// mu serialises session steps: the ratchet is not safe for concurrent
	// use, and a step must see the state the previous one stored.
	mu         sync.Mutex
	senderCert senderCertCache
	kt         ktClient
	outboxKick chan struct{}
	ktKick     chan struct{} // a (re)connect: audit the account's own log entries
	calls      callHook

	// sending holds the outgoing messages someone is sending right now
	// (see claim); retried, when the person last asked to retry each.
	rotateMu  sync.Mutex // one signed prekey rotation at a time
	sendingMu sync.Mutex
	sending   map[store.MessageID]bool
	retried   map[store.MessageID]time.Time
}

// Create makes a new account: identity and device keys, prekeys, a profile in
// cfg.Dir (keys in the keyring or under a passphrase), and the handle claimed
// at the relay with a proof of work (bounded by ctx: cancel it to stop; pow,
// if not nil, hears of each attempt against the expected number). Nothing is
// left behind if any step fails.
func Create(ctx context.Context, cfg Config, relayURL string, h handle.Handle, pow Progress) (_ *Messenger, err error) {
	cfg.defaults()
	if _, err := os.Stat(cfg.Dir); err == nil {
		entries, _ := os.ReadDir(cfg.Dir)
		if len(entries) > 0 {
			return nil, ErrProfileExists
		}
	}
	rc, err := client.New(relayURL, cfg.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("relay address: %w", err)
	}
	relayKey, err := rc.RelayKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("reach the relay: %w", err)
	}
	relayPub, err := keys.ParseRelayPublicKey(relayKey)
	if err != nil {
		return nil, fmt.Errorf("relay key: %w", err)
	}

	now := cfg.Now()
	identity, err := keys.GenerateIdentity(cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("generate identity: %w", err)
	}
	defer func() {
		if err != nil {
			identity.Destroy()
		}
	}()
	var idb [4]byte
	var devID keys.DeviceID
	for devID == 0 {
		if _, err := io.ReadFull(cfg.Rand, idb[:]); err != nil {
			return nil, fmt.Errorf("device id: %w", err)
		}
		devID = keys.DeviceID(binary.BigEndian.Uint32(idb[:]))
	}
	device, err := keys.GenerateDevice(cfg.Rand, devID)
	if err != nil {
		return nil, fmt.Errorf("generate device keys: %w", err)
	}
	cert := keys.IssueDeviceCertificate(identity, device, now.Add(deviceCertLifetime))
	token := make([]byte, api.DeliveryTokenSize)
	if _, err := io.ReadFull(cfg.Rand, token); err != nil {
		return nil, fmt.Errorf("delivery token: %w", err)
	}

	prekeys, err := generatePrekeys(cfg.Rand, device, now)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, p := range prekeys {
			p.Destroy()
		}
	}()

	st, err := store.Create(ctx, cfg.Dir, identity.Bytes(), cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("create profile: %w", err)
	}
	defer func() {
		if err != nil {
			st.Close()
			_ = store.Delete(cfg.Dir, cfg.Store)
		}
	}()
	devPriv, err := device.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode device keys: %w", err)
	}
	if err := st.SetDeviceKeys(ctx, store.DeviceKeys{Public: cert.Marshal(), Private: devPriv}); err != nil {
		return nil, fmt.Errorf("save device keys: %w", err)
	}
	clear(devPriv)
	public := make([][]byte, 0, len(prekeys))
	for _, p := range prekeys {
		b, err := p.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode prekey: %w", err)
		}
		err = st.PutPrekey(ctx, store.PrekeyRef{Kind: storeKind(p.Type()), ID: uint32(p.ID())}, b)
		clear(b)
		if err != nil {
			return nil, fmt.Errorf("save prekey: %w", err)
		}
		public = append(public, p.Signed().Marshal())
	}
	rotation, err := firstRotationState(now).marshal()
	if err != nil {
		return nil, err
	}
	for name, v := range map[string][]byte{
		settingHandle:         []byte(h.String()),
		settingRelayURL:       []byte(relayURL),
		settingRelayKey:       relayKey,
		settingToken:          token,
		settingPrekeyRotation: rotation,
	} {
		if err := st.SetSetting(ctx, name, v); err != nil {
			return nil, fmt.Errorf("save account settings: %w", err)
		}
	}

	addr := api.AddrFromKey(cert.SigningKey.Bytes())
	rc.SetDevice(addr, device)
	if _, err := rc.Register(ctx, client.Registration{
		Handle:            h,
		IdentityKey:       identity.Public().Bytes(),
		DeviceCertificate: cert.Marshal(),
		Prekeys:           public,
		DeliveryToken:     token,
		Progress: func(tries, expected uint64) {
			if pow != nil {
				pow(int64(tries), int64(expected))
			}
		},
	}); err != nil {
		return nil, fmt.Errorf("register the handle: %w", err)
	}
	m := &Messenger{cfg: cfg, st: st, relay: rc, relayPub: relayPub, handle: h,
		identity: identity, device: device, cert: cert, token: token, outboxKick: make(chan struct{}, 1), ktKick: make(chan struct{}, 1)}
	cfg.Log.Info("account created", "device", devID.String())
	return m, nil
}

// Open loads the account kept in cfg.Dir.
func Open(ctx context.Context, cfg Config) (_ *Messenger, err error) {
	cfg.defaults()
	if _, err := os.Stat(cfg.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoProfile
	}
	st, err := store.Open(ctx, cfg.Dir, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("open profile: %w", err)
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	identity, err := keys.NewIdentityPrivateKey(st.IdentityKey())
	if err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	dk, err := st.DeviceKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("device keys: %w", err)
	}
	device, err := keys.ParseDevicePrivateKey(dk.Private)
	clear(dk.Private)
	if err != nil {
		return nil, fmt.Errorf("device keys: %w", err)
	}
	cert, err := keys.ParseDeviceCertificate(dk.Public)
	if err != nil {
		return nil, fmt.Errorf("device certificate: %w", err)
	}
	settings := map[string][]byte{}
	for _, name := range []string{settingHandle, settingRelayURL, settingRelayKey, settingToken} {
		v, err := st.Setting(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("account setting %s: %w", name, err)
		}
		settings[name] = v
	}
	h, err := handle.Parse(string(settings[settingHandle]))
	if err != nil {
		return nil, fmt.Errorf("account handle: %w", err)
	}
	relayPub, err := keys.ParseRelayPublicKey(settings[settingRelayKey])
	if err != nil {
		return nil, fmt.Errorf("pinned relay key: %w", err)
	}
	rc, err := client.New(string(settings[settingRelayURL]), cfg.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("relay address: %w", err)
	}
	rc.SetDevice(api.AddrFromKey(cert.SigningKey.Bytes()), device)
	return &Messenger{cfg: cfg, st: st, relay: rc, relayPub: relayPub, handle: h,
		identity: identity, device: device, cert: cert, token: settings[settingToken],
		outboxKick: make(chan struct{}, 1), ktKick: make(chan struct{}, 1)}, nil
}

// Close releases the profile and zeroes the keys held in memory.
func (m *Messenger) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.identity.Destroy()
	m.device.Destroy()
	return m.st.Close()
}

// Handle is this account's handle.
func (m *Messenger) Handle() handle.Handle { return m.handle }

// IdentityKey is this account's public identity key.
func (m *Messenger) IdentityKey() keys.IdentityPublicKey { return m.identity.Public() }

// RelayURL is the address of the relay this account lives on.
func (m *Messenger) RelayURL() string { return m.relay.BaseURL() }

// Store is the profile, for the read-side queries of app/'s services.
func (m *Messenger) Store() *store.Profile { return m.st }

// generatePrekeys makes a new device's signed and last-resort prekeys (pair
// 1, see rotation.go) and its first batch of one-time prekeys.
func generatePrekeys(r io.Reader, device *keys.DevicePrivateKey, now time.Time) ([]*keys.PrekeyPrivate, error) {
	var out []*keys.PrekeyPrivate
	add := func(t keys.PrekeyType, n int) error {
		expiry := now.Add(prekeyLifetime)
		if !t.IsOneTime() {
			expiry = now.Add(signedPrekeyLifetime)
		}
		for i := 1; i <= n; i++ {
			p, err := keys.GeneratePrekey(r, device, t, keys.PrekeyID(i), expiry)
			if err != nil {
				return fmt.Errorf("generate %s prekey: %w", t, err)
			}
			out = append(out, p)
		}
		return nil
	}
	for _, step := range []struct {
		t keys.PrekeyType
		n int
	}{
		{keys.PrekeySignedX25519, 1},
		{keys.PrekeyLastResortMLKEM, 1},
		{keys.PrekeyOneTimeX25519, oneTimeX25519Count},
		{keys.PrekeyOneTimeMLKEM, oneTimeMLKEMCount},
	} {
		if err := add(step.t, step.n); err != nil {
			for _, p := range out {
				p.Destroy()
			}
			return nil, err
		}
	}
	return out, nil
}

func storeKind(t keys.PrekeyType) store.PrekeyKind {
	switch t {
	case keys.PrekeySignedX25519:
		return store.SignedPrekey
	case keys.PrekeyOneTimeX25519:
		return store.OneTimePrekey
	case keys.PrekeyLastResortMLKEM:
		return store.LastResortKEMPrekey
	case keys.PrekeyOneTimeMLKEM:
		return store.OneTimeKEMPrekey
	}
	return store.PrekeyKindUnknown
}
