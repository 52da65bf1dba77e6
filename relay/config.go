package relay

import (
	"crypto/ed25519"
	"log/slog"
	"time"

	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/store"
)

// Rate is a token bucket: Burst tokens, one more every Every.
type Rate struct {
	Burst int
	Every time.Duration
}

// PerSecond returns a bucket of n per second with a burst of n.
func PerSecond(n int) Rate { return Rate{Burst: n, Every: time.Second / time.Duration(n)} }

// PerWindow returns a bucket of n per window with a burst of n.
func PerWindow(n int, window time.Duration) Rate {
	return Rate{Burst: n, Every: window / time.Duration(n)}
}

// Limits are the abuse limits. A zero Rate disables that limiter.
type Limits struct {
	RegisterPerIP Rate // registration attempts per IP
	// AvailabilityPerIP bounds "is this handle free?" checks per IP.
	AvailabilityPerIP Rate
	AuthPerIP         Rate // auth and registration challenges, tokens, per IP
	LookupPerDevice   Rate // lookups by one device
	LookupPerTarget   Rate // lookups of one handle
	SendPerDevice     Rate // sends by one authenticated device
	SendPerConn       Rate // sealed sends on one anonymous connection
	SendPerIP         Rate // sealed sends over HTTP per IP
	PrekeysPerDev     Rate // prekey uploads per device
	TURNPerDevice     Rate // TURN credentials per device
	BlobsPerDevice    Rate // attachment uploads per device

	MaxConns      int // WebSocket connections on this node
	MaxConnsPerIP int // WebSocket connections per client IP
	// MaxInflightPerConn bounds sends awaiting commit on one WebSocket.
	MaxInflightPerConn int
}

// DefaultLimits follow Signal-Server's published defaults where one exists.
func DefaultLimits() Limits {
	return Limits{
		RegisterPerIP:      PerWindow(6, time.Hour),
		AvailabilityPerIP:  PerWindow(60, time.Minute),
		AuthPerIP:          PerSecond(20),
		LookupPerDevice:    PerWindow(100, time.Minute),
		LookupPerTarget:    PerWindow(60, time.Minute),
		SendPerDevice:      PerSecond(60),
		SendPerConn:        PerSecond(60),
		SendPerIP:          PerSecond(600),
		PrekeysPerDev:      PerWindow(6, 10*time.Minute),
		TURNPerDevice:      PerWindow(100, 10*time.Minute),
		BlobsPerDevice:     PerWindow(100, time.Hour),
		MaxConns:           200_000,
		MaxConnsPerIP:      2_000,
		MaxInflightPerConn: 256,
	}
}

// Config configures a Server.
type Config struct {
	Store  store.Store
	NodeID string // unique per node sharing a store; random if empty
	Logger *slog.Logger

	Pow             api.PowParams
	ChallengeTTL    time.Duration // register and auth challenges (default 2 min)
	TokenTTL        time.Duration // auth tokens (default 15 min)
	EnvelopeTTL     time.Duration // queued envelopes (default 30 days)
	SenderCertTTL   time.Duration // sender certificates (default 24 h)
	ReservedHandles []string      // refused at registration, with their look-alikes

	MaxAttachment int64         // bytes (default 16 MiB)
	AttachmentTTL time.Duration // default 30 days

	TURN TURNConfig

	// KT configures the key-transparency log.
	KT KTConfig

	Limits Limits
	// IdleTimeout closes a WebSocket that sent nothing, not even a ping,
	// for this long (default 90 s). WriteTimeout bounds one write.
	IdleTimeout  time.Duration
	WriteTimeout time.Duration

	// Now is the clock (tests); time.Now if nil.
	Now func() time.Time
}

// TURNConfig tells clients where TURN is and how credentials are made
// (coturn's REST-API scheme: username "expiry:id", password
// base64(HMAC-SHA1(secret, username))).
type TURNConfig struct {
	Secret []byte
	URLs   []string
	TTL    time.Duration // credential lifetime (default 1 h)
}

// KTConfig configures the key-transparency log.
type KTConfig struct {
	// Interval is the least time between two tree heads this node signs
	// (default 1 s). A lookup of a binding newer than the latest head waits
	// for the next one.
	Interval time.Duration
	// Witnesses are the Ed25519 keys whose co-signatures the relay accepts
	// and serves with its tree heads.
	Witnesses []ed25519.PublicKey
}

// DefaultReservedHandles are refused on every relay.
var DefaultReservedHandles = []string{
	"admin", "administrator", "root", "support", "help", "helpdesk", "security", "abuse",
	"postmaster", "hostmaster", "webmaster", "info", "sotto", "sotto_team", "relay", "system",
	"official", "staff", "moderator", "operator", "noreply", "no_reply", "null", "undefined",
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Pow == (api.PowParams{}) {
		c.Pow = api.PowParams{Bits: 5, MemoryKiB: 64 << 10, Time: 1}
	}
	if c.ChallengeTTL == 0 {
		c.ChallengeTTL = 2 * time.Minute
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 15 * time.Minute
	}
	if c.EnvelopeTTL == 0 {
		c.EnvelopeTTL = 30 * 24 * time.Hour
	}
	if c.SenderCertTTL == 0 {
		c.SenderCertTTL = 24 * time.Hour
	}
	if c.MaxAttachment == 0 {
		c.MaxAttachment = 16 << 20
	}
	if c.AttachmentTTL == 0 {
		c.AttachmentTTL = 30 * 24 * time.Hour
	}
	if c.KT.Interval == 0 {
		c.KT.Interval = time.Second
	}
	if c.TURN.TTL == 0 {
		c.TURN.TTL = time.Hour
	}
	if c.Limits == (Limits{}) {
		c.Limits = DefaultLimits()
	}
	if c.Limits.MaxInflightPerConn == 0 {
		c.Limits.MaxInflightPerConn = 256
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 90 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 15 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
