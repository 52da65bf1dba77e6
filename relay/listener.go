package relay

import (
	"net"

	"github.com/sotto-im/sotto/relay/internal/wsio"
)

// Listener wraps ln for serving the relay: the connections it accepts
// re-arm their write deadline only when it moves by a noticeable part of
// the timeout (see wsio.LazyWriteDeadline). gorilla/websocket sets the
// deadline before every frame it writes, and a push is one frame per
// envelope. Put TLS, if any, on top of it.
func Listener(ln net.Listener) net.Listener {
	return lazyListener{ln}
}

type lazyListener struct {
	net.Listener
}

func (l lazyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return wsio.LazyWriteDeadline(c), nil
}
