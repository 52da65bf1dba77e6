package bridge

import (
	"encoding/json"
	"fmt"
)

// maxHelloBytes bounds a client's first message.
const maxHelloBytes = 512

// hello is a client's first message: the token and what it wants to watch.
//
//	{"token":"…","call":"<hex call id>","stream":"remote","format":"i420","ack":true}
//
// With "ack" the page answers every frame with the text message "ack" once
// it has drawn or skipped it, and the bridge keeps at most maxInFlight frames
// unanswered: a page that falls behind then waits for the newest picture
// instead of working through a socket full of old ones.
//
// The token travels here rather than in the URL or a subprotocol header, where
// it would show in request logs and the web inspector's network panel.
type hello struct {
	Token  string
	Call   string
	Stream Stream
	Format Format
	Ack    bool
}

type helloJSON struct {
	Token  string `json:"token"`
	Call   string `json:"call"`
	Stream string `json:"stream"`
	Format string `json:"format"`
	Ack    bool   `json:"ack"`
}

// parseHello validates a client's first message; errors never echo the token.
func parseHello(data []byte) (hello, error) {
	if len(data) > maxHelloBytes {
		return hello{}, fmt.Errorf("%w: %d bytes", ErrBadHello, len(data))
	}
	var j helloJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return hello{}, fmt.Errorf("%w: not JSON", ErrBadHello)
	}
	if j.Token == "" {
		return hello{}, fmt.Errorf("%w: no token", ErrBadHello)
	}
	if !validCallID(j.Call) {
		return hello{}, fmt.Errorf("%w: call id %q is not hex", ErrBadHello, clip(j.Call))
	}
	s, err := ParseStream(j.Stream)
	if err != nil {
		return hello{}, fmt.Errorf("%w: %w", ErrBadHello, err)
	}
	f := FormatI420
	if j.Format != "" {
		if f, err = ParseFormat(j.Format); err != nil {
			return hello{}, fmt.Errorf("%w: %w", ErrBadHello, err)
		}
	}
	return hello{Token: j.Token, Call: j.Call, Stream: s, Format: f, Ack: j.Ack}, nil
}
