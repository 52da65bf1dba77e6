package calls

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// Signaler delivers a signaling blob to a peer. The app encrypts it in the
// end-to-end channel (a ratchet message); calls never sends SDP or ICE
// candidates any other way. SendSignal must keep the order of blobs to one
// peer as far as it can; the receiving Manager tolerates reordering,
// duplicates and loss of single blobs.
type Signaler interface {
	SendSignal(ctx context.Context, peer string, blob []byte) error
}

// SignalerFunc adapts a function to Signaler.
type SignalerFunc func(ctx context.Context, peer string, blob []byte) error

// SendSignal calls f.
func (f SignalerFunc) SendSignal(ctx context.Context, peer string, blob []byte) error {
	return f(ctx, peer, blob)
}

// Default timeouts.
const (
	DefaultRingTimeout      = 45 * time.Second
	DefaultConnectTimeout   = 30 * time.Second
	DefaultReconnectTimeout = 20 * time.Second
)

// Config is what a Manager needs from the app. Signaler is required; the
// rest have working defaults.
type Config struct {
	Signaler Signaler
	// ICEServers returns the ICE servers for one call: the relay's TURN with
	// short-lived credentials. It is called once per call (and again on ICE
	// restart), so credentials are fresh. Nil means none (host candidates only).
	ICEServers func(ctx context.Context) ([]webrtc.ICEServer, error)
	// RelayOnly reports the "Always relay calls (hide my IP)" setting, read
	// at the start of each call: only TURN relay candidates are gathered and
	// used, so the peer never learns this device's addresses.
	RelayOnly func() bool
	// Media opens sources and sinks per call. Nil sends silence-free nothing
	// and discards what arrives (transport only).
	Media MediaFactory
	// Events receives every state change, in order per call. It must not
	// block for long and must not call back into the Manager synchronously.
	Events func(Event)

	Clock            Clock         // default: the system clock
	RingTimeout      time.Duration // unanswered → missed; default 45 s
	ConnectTimeout   time.Duration // answered → connected; default 30 s
	ReconnectTimeout time.Duration // connection lost → recovered; default 20 s
	// ICE consent timeouts (pion's defaults: 5 s disconnected, 25 s failed,
	// 2 s keepalive). Zero keeps pion's default.
	ICEDisconnectedTimeout, ICEFailedTimeout, ICEKeepalive time.Duration

	// LoopbackCandidates gathers 127.0.0.1 candidates and no others (tests
	// on one machine).
	LoopbackCandidates bool
	// Net replaces the network stack (a pion vnet in tests). Nil: the OS.
	Net    transport.Net
	Logger *slog.Logger
}

func (c *Config) fill() error {
	if c.Signaler == nil {
		return errors.New("calls: Config.Signaler is required")
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = DefaultRingTimeout
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ReconnectTimeout <= 0 {
		c.ReconnectTimeout = DefaultReconnectTimeout
	}
	if c.ICEServers == nil {
		c.ICEServers = func(context.Context) ([]webrtc.ICEServer, error) { return nil, nil }
	}
	if c.RelayOnly == nil {
		c.RelayOnly = func() bool { return false }
	}
	if c.Events == nil {
		c.Events = func(Event) {}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
