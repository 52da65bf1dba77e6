package deeplink

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sotto-im/sotto/handle"
)

// Scheme is the URL scheme Sotto registers with the operating system.
const Scheme = "sotto"

// WebPrefix is the web form of a chat link, as people paste it.
const WebPrefix = "https://sotto.im/@"

// MaxLen caps the links Parse looks at, in bytes. The longest valid link
// (sotto://call/@ + a 32-character handle + ?video=1) is far shorter.
const MaxLen = 128

// Action is what a link asks the app to show.
type Action uint8

const (
	// ActionUnknown is the zero value; no valid Link carries it.
	ActionUnknown Action = iota
	// ActionChat opens the conversation with the handle.
	ActionChat
	// ActionCall opens the pre-call screen for the handle. It never rings:
	// the person presses Call there.
	ActionCall
)

// String is the action as it appears in links ("chat", "call").
func (a Action) String() string {
	switch a {
	case ActionChat:
		return "chat"
	case ActionCall:
		return "call"
	}
	return "unknown"
}

func parseAction(s string) (Action, error) {
	switch s {
	case "chat":
		return ActionChat, nil
	case "call":
		return ActionCall, nil
	}
	return ActionUnknown, ErrUnknownAction
}

// Errors returned by Parse. They never include the link.
var (
	ErrNotLink       = errors.New("deeplink: not a sotto link")
	ErrTooLong       = errors.New("deeplink: longer than 128 bytes")
	ErrUnknownAction = errors.New("deeplink: unknown action")
	ErrBadHandle     = errors.New("deeplink: not a valid handle")
	ErrBadQuery      = errors.New("deeplink: unsupported query")
)

// Link is a parsed, validated deep link.
type Link struct {
	Action Action
	Handle handle.Handle
	// Video asks the pre-call screen to start with the camera on (call
	// links only).
	Video bool
}

// String is the canonical sotto:// form of the link; Parse(l.String())
// returns l.
func (l Link) String() string {
	s := Scheme + "://" + l.Action.String() + "/@" + l.Handle.String()
	if l.Video {
		s += "?video=1"
	}
	return s
}

// Parse validates a link: sotto://chat/@h, sotto://call/@h,
// sotto://call/@h?video=1 (or video=0), or https://sotto.im/@h (a chat link).
// The '@' is optional in the sotto:// forms and the scheme is
// case-insensitive; everything else is exact: no other hosts, paths, query
// parameters, fragments, user info, ports or percent-escapes.
func Parse(s string) (Link, error) {
	if len(s) > MaxLen {
		return Link{}, ErrTooLong
	}
	if rest, ok := cutPrefixFold(s, WebPrefix); ok {
		h, err := parseHandle(rest)
		if err != nil {
			return Link{}, err
		}
		return Link{Action: ActionChat, Handle: h}, nil
	}
	rest, ok := cutPrefixFold(s, Scheme+"://")
	if !ok {
		return Link{}, ErrNotLink
	}
	actionText, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return Link{}, ErrUnknownAction
	}
	action, err := parseAction(actionText)
	if err != nil {
		return Link{}, err
	}
	handleText, query, hasQuery := strings.Cut(rest, "?")
	h, err := parseHandle(strings.TrimPrefix(handleText, "@"))
	if err != nil {
		return Link{}, err
	}
	l := Link{Action: action, Handle: h}
	if hasQuery {
		if action != ActionCall {
			return Link{}, ErrBadQuery
		}
		switch query {
		case "video=1":
			l.Video = true
		case "video=0":
		default:
			return Link{}, ErrBadQuery
		}
	}
	return l, nil
}

// parseHandle accepts only the raw characters a handle is made of, so no
// escape, separator or look-alike reaches handle.Parse from a link.
func parseHandle(s string) (handle.Handle, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return handle.Handle{}, ErrBadHandle
		}
	}
	h, err := handle.Parse(s)
	if err != nil {
		return handle.Handle{}, fmt.Errorf("%w: %w", ErrBadHandle, err)
	}
	return h, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// LooksLikeLink reports whether a command-line argument is meant as a link
// (and so should be parsed, and logged when it fails), as opposed to a flag
// or a file name.
func LooksLikeLink(arg string) bool {
	_, web := cutPrefixFold(arg, "https://sotto.im/")
	_, own := cutPrefixFold(arg, Scheme+":")
	return web || own
}

// FromArgs returns the first valid link among command-line arguments, and
// the errors of the link-like arguments that did not parse (for a log line
// each, through Describe).
func FromArgs(args []string) (Link, bool, []error) {
	var errs []error
	for _, a := range args {
		if !LooksLikeLink(a) {
			continue
		}
		l, err := Parse(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return l, true, errs
	}
	return Link{}, false, errs
}

// describeMax is how much of a rejected link Describe shows: enough to recognise
// the kind of link, not a whole handle and its parameters.
const describeMax = 32

// Describe makes untrusted link text safe for a log line: at most 32 bytes,
// quoted with every non-printable or non-ASCII byte escaped, and its length.
func Describe(s string) string {
	shown := s
	if len(shown) > describeMax {
		shown = shown[:describeMax]
	}
	q := strconv.QuoteToASCII(shown)
	if len(s) > describeMax {
		return fmt.Sprintf("%s… (%d bytes)", q, len(s))
	}
	return q
}
