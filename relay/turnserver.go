package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pion/turn/v4"
)

// TURNServerConfig configures the embedded TURN server.
type TURNServerConfig struct {
	Listen  string // host:port for both UDP and TCP
	RelayIP string // the address peers reach relayed traffic on
	Realm   string
	Secret  []byte // coturn REST-API shared secret
	Logger  *slog.Logger
	Now     func() time.Time
}

// TURNServer is an embedded pion/turn server that accepts the REST-API
// credentials the relay issues (and an external coturn with the same
// secret would accept).
type TURNServer struct {
	srv  *turn.Server
	addr string
}

// StartTURN listens on UDP and TCP and serves TURN.
func StartTURN(c TURNServerConfig) (*TURNServer, error) {
	if len(c.Secret) == 0 {
		return nil, errors.New("turn: no secret")
	}
	relayIP := net.ParseIP(c.RelayIP)
	if relayIP == nil {
		return nil, fmt.Errorf("turn: relay IP %q is not an IP address", c.RelayIP)
	}
	if c.Realm == "" {
		c.Realm = "sotto"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	udp, err := net.ListenPacket("udp4", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	// TCP on the same port as UDP.
	tcp, err := net.Listen("tcp4", udp.LocalAddr().String())
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("turn: %w", err)
	}
	host, _, _ := net.SplitHostPort(udp.LocalAddr().String())
	gen := func() turn.RelayAddressGenerator {
		return &turn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: host}
	}
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: c.Realm,
		AuthHandler: func(username, realm string, src net.Addr) ([]byte, bool) {
			if !TURNUsernameValid(username, c.Now()) {
				log.Debug("turn: refused expired or malformed credential")
				return nil, false
			}
			return turn.GenerateAuthKey(username, realm, TURNPassword(c.Secret, username)), true
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: gen()}},
		ListenerConfigs:   []turn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: gen()}},
	})
	if err != nil {
		udp.Close()
		tcp.Close()
		return nil, fmt.Errorf("turn: %w", err)
	}
	return &TURNServer{srv: srv, addr: udp.LocalAddr().String()}, nil
}

// Addr is the UDP (and TCP) address the server listens on.
func (t *TURNServer) Addr() string { return t.addr }

// Close stops the server.
func (t *TURNServer) Close() error { return t.srv.Close() }
