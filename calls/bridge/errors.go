package bridge

import "errors"

var (
	// ErrNotLoopback: the bridge was asked to listen on an address other than 127.0.0.1.
	ErrNotLoopback = errors.New("the media bridge listens on 127.0.0.1 only")
	// ErrBadHello: a client's first message was malformed.
	ErrBadHello = errors.New("malformed hello")
	// ErrUnauthorized: a client's first message carried the wrong token.
	ErrUnauthorized = errors.New("wrong bridge token")
	// ErrClosed: the bridge or the sink was closed.
	ErrClosed = errors.New("media bridge closed")
	// ErrBadFrame: a frame's planes do not match its size.
	ErrBadFrame = errors.New("malformed video frame")
)
