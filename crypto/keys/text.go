package keys

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Text prefixes. Each key kind has its own so that keys cannot be confused
// when pasted or stored as text.
const (
	prefixIdentityPublic  = "sotto-idpub:"
	prefixIdentityPrivate = "sotto-idpriv:"
	prefixDevicePublic    = "sotto-devpub:"
	prefixDevicePrivate   = "sotto-devpriv:"
	prefixX25519Public    = "sotto-x25519:"
	prefixSealingPublic   = "sotto-sealpub:"
	prefixRelayPublic     = "sotto-relaypub:"
	prefixRelayPrivate    = "sotto-relaypriv:"
)

const redacted = "<redacted>"

func appendText(dst []byte, prefix string, b []byte) []byte {
	dst = append(dst, prefix...)
	return hex.AppendEncode(dst, b)
}

// parseText decodes prefix+lowercase hex into exactly n bytes.
func parseText(s, prefix string, n int) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, fmt.Errorf("want prefix %q: %w", prefix, ErrInvalidKey)
	}
	if len(rest) != 2*n || strings.ToLower(rest) != rest {
		return nil, fmt.Errorf("%s key: want %d lowercase hex digits: %w", prefix, 2*n, ErrInvalidKey)
	}
	b, err := hex.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%s key: %w", prefix, ErrInvalidKey)
	}
	return b, nil
}
