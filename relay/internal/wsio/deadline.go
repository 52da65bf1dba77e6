package wsio

import (
	"net"
	"sync"
	"time"
)

// LazyWriteDeadline wraps c so that moving its write deadline later by a
// little is skipped. gorilla/websocket sets the socket's write deadline
// before every frame it writes, and re-arming the runtime's timer costs
// about as much as writing a small frame. A later deadline is passed on
// only once the one in force leaves less than 15/16 of the time asked for,
// so a write gets at least 15/16 of its timeout; an earlier or zero
// deadline is always passed on at once.
func LazyWriteDeadline(c net.Conn) net.Conn {
	return &lazyConn{Conn: c}
}

type lazyConn struct {
	net.Conn
	mu    sync.Mutex
	armed time.Time // the write deadline in force (zero: none)
}

func (c *lazyConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.IsZero() && !c.armed.IsZero() && !t.Before(c.armed) {
		now := time.Now()
		if c.armed.Sub(now) >= t.Sub(now)/16*15 {
			return nil
		}
	}
	c.armed = t
	return c.Conn.SetWriteDeadline(t)
}

// CloseWrite half-closes the connection when the wrapped one can (net/http
// uses it to flush a response before closing).
func (c *lazyConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *lazyConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = t
	return c.Conn.SetDeadline(t)
}
