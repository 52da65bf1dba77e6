package messenger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
)

// senderCertCache keeps the relay-signed sender certificate that sealed
// envelopes carry, and fetches a new one shortly before it expires.
type senderCertCache struct {
	mu      sync.Mutex
	cert    keys.SenderCertificate
	expires time.Time
}

const senderCertMargin = 5 * time.Minute

func (m *Messenger) senderCertificate(ctx context.Context) (keys.SenderCertificate, error) {
	c := &m.senderCert
	c.mu.Lock()
	defer c.mu.Unlock()
	now := m.cfg.Now()
	if !c.expires.IsZero() && now.Add(senderCertMargin).Before(c.expires) {
		return c.cert, nil
	}
	resp, err := m.relay.SenderCertificate(ctx)
	if err != nil {
		return keys.SenderCertificate{}, fmt.Errorf("get a sender certificate: %w", err)
	}
	cert, err := keys.ParseSenderCertificate(resp.Certificate)
	if err != nil {
		return keys.SenderCertificate{}, fmt.Errorf("sender certificate: %w", err)
	}
	if err := keys.VerifySenderCertificate(cert, m.relayPub, now); err != nil {
		return keys.SenderCertificate{}, fmt.Errorf("sender certificate: %w", err)
	}
	if !cert.Sender.Equal(m.identity.Public()) || cert.Device != m.device.ID() {
		return keys.SenderCertificate{}, fmt.Errorf("sender certificate names another device")
	}
	c.cert, c.expires = cert, cert.Expiry
	return cert, nil
}
