package messenger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/store"
)

// The signed X25519 prekey and the last-resort ML-KEM prekey are replaced
// every signedPrekeyRotation, as Signal does: a new pair is made, its private
// parts stored, and the public parts uploaded (the relay then hands out only
// the new pair). The previous private parts are kept for retiredPrekeyGrace,
// so first messages still in flight that were made with the old bundle
// decrypt, and are deleted after it (the store's secure_delete zeroes them).
//
// Ids come from one counter, reserved in the profile before a pair is made,
// so a crash between making and uploading never uses an id twice: a pair
// that was made but not confirmed as uploaded is retired like any other (it
// may have reached the relay) and the next rotation takes a new id.
const (
	signedPrekeyRotation = 7 * 24 * time.Hour
	retiredPrekeyGrace   = 30 * 24 * time.Hour
	// signedPrekeyLifetime bounds how long the relay and senders accept a
	// pair: a device offline for longer is not reachable by new contacts
	// until it starts again (and rotates at once).
	signedPrekeyLifetime = 90 * 24 * time.Hour
	// rotationCheck is how often a running messenger checks the rotation.
	rotationCheck = time.Hour

	settingPrekeyRotation = "account.signed_prekeys"
)

// prekeyPair names a signed X25519 prekey and a last-resort ML-KEM prekey.
type prekeyPair struct {
	Signed     uint32 `json:"s"`
	LastResort uint32 `json:"l"`
}

// retiredPair is a pair replaced at At, kept until At+retiredPrekeyGrace.
type retiredPair struct {
	prekeyPair
	At time.Time `json:"at"`
}

// rotationState is what the profile records about the pairs.
type rotationState struct {
	Current prekeyPair `json:"cur"`
	// At is when Current was uploaded (zero: unknown, rotate now).
	At time.Time `json:"at"`
	// Next is the first id not used yet.
	Next uint32 `json:"next"`
	// Pending is a pair made but not confirmed as uploaded.
	Pending *prekeyPair   `json:"pending,omitempty"`
	Retired []retiredPair `json:"retired,omitempty"`
}

// maxRetired bounds the retired list a stored state may hold (one a week
// for the grace period, plus crashed attempts).
const maxRetired = 64

var errBadRotation = errors.New("stored prekey rotation state is malformed")

// firstRotationState is a new device's: pair 1 made at now.
func firstRotationState(now time.Time) rotationState {
	return rotationState{Current: prekeyPair{1, 1}, At: now, Next: 2}
}

func (s rotationState) marshal() ([]byte, error) { return json.Marshal(s) }

func parseRotationState(b []byte) (rotationState, error) {
	var s rotationState
	if err := json.Unmarshal(b, &s); err != nil {
		return rotationState{}, fmt.Errorf("%w: %v", errBadRotation, err)
	}
	valid := func(p prekeyPair) bool {
		return p.Signed != 0 && p.LastResort != 0 && p.Signed < s.Next && p.LastResort < s.Next
	}
	if !valid(s.Current) || (s.Pending != nil && !valid(*s.Pending)) || len(s.Retired) > maxRetired {
		return rotationState{}, errBadRotation
	}
	for _, r := range s.Retired {
		if !valid(r.prekeyPair) {
			return rotationState{}, errBadRotation
		}
	}
	return s, nil
}

func (m *Messenger) loadRotation(ctx context.Context) (rotationState, error) {
	b, err := m.st.Setting(ctx, settingPrekeyRotation)
	if errors.Is(err, store.ErrNotFound) {
		// A profile from before rotation: pair 1, of unknown age.
		return rotationState{Current: prekeyPair{1, 1}, Next: 2}, nil
	}
	if err != nil {
		return rotationState{}, fmt.Errorf("prekey rotation: %w", err)
	}
	return parseRotationState(b)
}

func (m *Messenger) saveRotation(ctx context.Context, s rotationState) error {
	b, err := s.marshal()
	if err != nil {
		return err
	}
	if err := m.st.SetSetting(ctx, settingPrekeyRotation, b); err != nil {
		return fmt.Errorf("prekey rotation: %w", err)
	}
	return nil
}

// RotatePrekeys replaces the signed and last-resort prekeys when they are
// signedPrekeyRotation old, and deletes retired ones past their grace
// period. It reports whether it uploaded a new pair. Run calls it at start,
// after prekeys are used and every rotationCheck.
func (m *Messenger) RotatePrekeys(ctx context.Context) (bool, error) {
	m.rotateMu.Lock()
	defer m.rotateMu.Unlock()
	s, err := m.loadRotation(ctx)
	if err != nil {
		return false, err
	}
	now := m.cfg.Now()
	dirty := false
	if s.Pending != nil {
		// Made but not confirmed: it may be at the relay, so it is kept
		// for the grace period, and never used again.
		s.Retired = append(s.Retired, retiredPair{*s.Pending, now})
		s.Pending, dirty = nil, true
	}
	rotated := false
	if now.Sub(s.At) >= signedPrekeyRotation {
		if err := m.rotate(ctx, &s, now); err != nil {
			return false, err
		}
		rotated, dirty = true, true
	}
	keep := s.Retired[:0]
	for i, r := range s.Retired {
		// Past the grace period, or beyond the most the state holds.
		if now.Sub(r.At) < retiredPrekeyGrace && len(s.Retired)-i <= maxRetired {
			keep = append(keep, r)
			continue
		}
		for _, ref := range []store.PrekeyRef{{Kind: store.SignedPrekey, ID: r.Signed}, {Kind: store.LastResortKEMPrekey, ID: r.LastResort}} {
			if err := m.st.DeletePrekey(ctx, ref); err != nil {
				return rotated, fmt.Errorf("delete a retired prekey: %w", err)
			}
		}
		dirty = true
	}
	s.Retired = keep
	if dirty {
		return rotated, m.saveRotation(ctx, s)
	}
	return rotated, nil
}

// rotate makes, stores and uploads a new pair, and retires the current one.
func (m *Messenger) rotate(ctx context.Context, s *rotationState, now time.Time) error {
	id := s.Next
	pending := prekeyPair{id, id}
	s.Pending, s.Next = &pending, id+1
	// Reserve the id before using it.
	if err := m.saveRotation(ctx, *s); err != nil {
		return err
	}
	expiry := now.Add(signedPrekeyLifetime)
	var public [][]byte
	for _, t := range []keys.PrekeyType{keys.PrekeySignedX25519, keys.PrekeyLastResortMLKEM} {
		p, err := keys.GeneratePrekey(m.cfg.Rand, m.device, t, keys.PrekeyID(id), expiry)
		if err != nil {
			return fmt.Errorf("generate %s prekey: %w", t, err)
		}
		b, err := p.MarshalBinary()
		if err != nil {
			p.Destroy()
			return fmt.Errorf("encode prekey: %w", err)
		}
		err = m.st.PutPrekey(ctx, store.PrekeyRef{Kind: storeKind(t), ID: id}, b)
		clear(b)
		public = append(public, p.Signed().Marshal())
		p.Destroy()
		if err != nil {
			return fmt.Errorf("save prekey: %w", err)
		}
	}
	if err := m.relay.UploadPrekeys(ctx, public); err != nil {
		return fmt.Errorf("upload the new signed prekeys: %w", err)
	}
	s.Retired = append(s.Retired, retiredPair{s.Current, now})
	s.Current, s.At, s.Pending = pending, now, nil
	m.cfg.Log.Info("signed prekeys rotated", "id", id)
	return nil
}

// maintainPrekeys tops up one-time prekeys and rotates the signed ones,
// logging (not returning) what fails: both are tried again later.
func (m *Messenger) maintainPrekeys(ctx context.Context) {
	if _, err := m.RefillPrekeys(ctx); err != nil && ctx.Err() == nil {
		m.cfg.Log.Warn("prekeys not refilled", "err", err.Error())
	}
	if _, err := m.RotatePrekeys(ctx); err != nil && ctx.Err() == nil {
		m.cfg.Log.Warn("signed prekeys not rotated", "err", err.Error())
	}
}

// prekeyLoop checks the rotation every rotationCheck until ctx ends.
func (m *Messenger) prekeyLoop(ctx context.Context) {
	t := time.NewTicker(rotationCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := m.RotatePrekeys(ctx); err != nil && ctx.Err() == nil {
				m.cfg.Log.Warn("signed prekeys not rotated", "err", err.Error())
			}
		}
	}
}
