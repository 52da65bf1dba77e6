package messenger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/store"
)

// One-time prekeys are handed out by the relay once each; when fewer than
// refillBelow of a kind are left there, a new batch is made and uploaded so
// that new contacts keep getting the full PQXDH (with DH4 and a one-time
// ML-KEM key) rather than the last-resort prekeys.
const (
	refillBelow      = 20
	refillX25519     = oneTimeX25519Count
	refillMLKEM      = oneTimeMLKEMCount
	settingNextOTP   = "account.next_prekey_id.x25519"
	settingNextOTPPQ = "account.next_prekey_id.mlkem"
)

// RefillPrekeys tops up the relay's stock of this device's one-time prekeys.
// It returns how many it uploaded.
func (m *Messenger) RefillPrekeys(ctx context.Context) (int, error) {
	count, err := m.relay.PrekeyCount(ctx)
	if err != nil {
		return 0, fmt.Errorf("prekey count: %w", err)
	}
	var batch []*keys.PrekeyPrivate
	defer func() {
		for _, p := range batch {
			p.Destroy()
		}
	}()
	for _, want := range []struct {
		t       keys.PrekeyType
		have, n int
		setting string
		first   int
	}{
		{keys.PrekeyOneTimeX25519, count.OneTime, refillX25519, settingNextOTP, oneTimeX25519Count + 1},
		{keys.PrekeyOneTimeMLKEM, count.OneTimePQ, refillMLKEM, settingNextOTPPQ, oneTimeMLKEMCount + 1},
	} {
		if want.have >= refillBelow {
			continue
		}
		next, err := m.nextPrekeyID(ctx, want.setting, want.first)
		if err != nil {
			return 0, err
		}
		// Reserve the ids before using them, so a crash never reuses one.
		if err := m.st.SetSetting(ctx, want.setting, binary.BigEndian.AppendUint32(nil, next+uint32(want.n))); err != nil {
			return 0, fmt.Errorf("prekey ids: %w", err)
		}
		expiry := m.cfg.Now().Add(prekeyLifetime)
		for i := range want.n {
			p, err := keys.GeneratePrekey(m.cfg.Rand, m.device, want.t, keys.PrekeyID(next+uint32(i)), expiry)
			if err != nil {
				return 0, fmt.Errorf("generate prekey: %w", err)
			}
			batch = append(batch, p)
		}
	}
	if len(batch) == 0 {
		return 0, nil
	}
	public := make([][]byte, 0, len(batch))
	for _, p := range batch {
		b, err := p.MarshalBinary()
		if err != nil {
			return 0, fmt.Errorf("encode prekey: %w", err)
		}
		err = m.st.PutPrekey(ctx, store.PrekeyRef{Kind: storeKind(p.Type()), ID: uint32(p.ID())}, b)
		clear(b)
		if err != nil {
			return 0, fmt.Errorf("save prekey: %w", err)
		}
		public = append(public, p.Signed().Marshal())
	}
	for len(public) > 0 {
		n := min(len(public), keys.MaxPrekeyBatch)
		if err := m.relay.UploadPrekeys(ctx, public[:n]); err != nil {
			return 0, fmt.Errorf("upload prekeys: %w", err)
		}
		public = public[n:]
	}
	m.cfg.Log.Info("prekeys refilled", "count", len(batch))
	return len(batch), nil
}

func (m *Messenger) nextPrekeyID(ctx context.Context, setting string, first int) (uint32, error) {
	b, err := m.st.Setting(ctx, setting)
	if errors.Is(err, store.ErrNotFound) {
		return uint32(first), nil
	}
	if err != nil {
		return 0, fmt.Errorf("prekey ids: %w", err)
	}
	if len(b) != 4 {
		return 0, fmt.Errorf("prekey ids: %w", errBadRecord)
	}
	return binary.BigEndian.Uint32(b), nil
}
