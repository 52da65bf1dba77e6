package messenger

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/vrf"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/store"
)

// Key transparency on the client (docs/TRANSPARENCY.md): every lookup's
// answer must be what the relay's log commits to; every tree head seen —
// in a lookup, from the relay, in a contact's message — must be consistent
// with the largest one kept; the account's own entries are audited on every
// start and every ownCheckEvery while running. A failure is an alarm: an
// EventTransparency and a status the UI shows until the user acts.

// ErrTransparency wraps every failed transparency check (errors.Is also
// matches the kt sentinel inside: kt.ErrFork, kt.ErrBindingMismatch, …).
var ErrTransparency = errors.New("key transparency check failed")

// ownCheckEvery is how often a running account re-audits its own entries.
const ownCheckEvery = 10 * time.Minute

// Settings of the transparency state.
const (
	settingKTKeys    = "kt.keys"    // pinned log key ‖ VRF key (first use)
	settingKTMonitor = "kt.monitor" // kt.Monitor: the largest tree head
	settingKTAudit   = "kt.audit"   // kt.Audit: own-entry audit
	settingKTAlarm   = "kt.alarm"   // account-wide failure, if any
)

// TransparencyConfig sets what the client demands of the relay's log.
type TransparencyConfig struct {
	// Witnesses are the Ed25519 keys of witnesses the user trusts.
	Witnesses []ed25519.PublicKey
	// RequireWitness refuses tree heads without a co-signature by one of
	// Witnesses.
	RequireWitness bool
}

// ktClient holds the pinned verifier and serialises updates of the kept
// state.
type ktClient struct {
	mu sync.Mutex
	v  *kt.Verifier
}

// TransparencyStatus is what the UI shows for a contact (or, for contact 0,
// the account: its own entries and split views).
type TransparencyStatus struct {
	// Checked: the last check passed, at tree size Size, for the entry of
	// version Version.
	Checked bool      `json:"checked"`
	Size    uint64    `json:"size"`
	Version uint64    `json:"version"`
	At      time.Time `json:"at"`
	// Failure is the alarm in words when a check failed; it stays until a
	// later check of the same kind passes.
	Failure string `json:"failure,omitempty"`
}

func encodeStatus(s TransparencyStatus) []byte {
	b := []byte{0}
	if s.Checked {
		b[0] = 1
	}
	b = binary.BigEndian.AppendUint64(b, s.Size)
	b = binary.BigEndian.AppendUint64(b, s.Version)
	b = binary.BigEndian.AppendUint64(b, uint64(s.At.UnixMilli()))
	return append(b, s.Failure...)
}

func decodeStatus(b []byte) (TransparencyStatus, error) {
	if len(b) < 25 || b[0] > 1 {
		return TransparencyStatus{}, fmt.Errorf("transparency status: %w", errBadRecord)
	}
	return TransparencyStatus{Checked: b[0] == 1, Size: binary.BigEndian.Uint64(b[1:]), Version: binary.BigEndian.Uint64(b[9:]),
		At: time.UnixMilli(int64(binary.BigEndian.Uint64(b[17:]))), Failure: string(b[25:])}, nil
}

func statusSetting(c store.ContactID) string {
	if c == 0 {
		return settingKTAlarm
	}
	return peerSetting(c, "kt")
}

// Transparency is the transparency status of contact c, or of the account
// itself when c is 0.
func (m *Messenger) Transparency(ctx context.Context, c store.ContactID) (TransparencyStatus, error) {
	b, err := m.st.Setting(ctx, statusSetting(c))
	if errors.Is(err, store.ErrNotFound) {
		return TransparencyStatus{}, nil
	}
	if err != nil {
		return TransparencyStatus{}, err
	}
	return decodeStatus(b)
}

func (m *Messenger) setKTStatus(ctx context.Context, c store.ContactID, s TransparencyStatus) error {
	return m.st.SetSetting(ctx, statusSetting(c), encodeStatus(s))
}

// alarm records a failed check for c (0: the account) and tells the UI.
func (m *Messenger) alarm(ctx context.Context, c store.ContactID, err error) error {
	reason := describe(err)
	s, _ := m.Transparency(ctx, c)
	s.Checked, s.Failure, s.At = false, reason, m.cfg.Now()
	if serr := m.setKTStatus(ctx, c, s); serr != nil {
		m.cfg.Log.Warn("transparency alarm not saved", "err", serr.Error())
	}
	m.cfg.Log.Warn("key transparency alarm", "contact", int64(c), "reason", reason)
	m.cfg.Events.Emit(Event{Kind: EventTransparency, Contact: c, Status: reason})
	return fmt.Errorf("%w: %s", ErrTransparency, reason)
}

// describe puts a failed check in words for the user.
func describe(err error) string {
	switch {
	case errors.Is(err, kt.ErrBindingMismatch):
		return "the relay served keys that are not the ones in its transparency log"
	case errors.Is(err, kt.ErrBadVRF):
		return "the relay's proof for this handle's log position does not verify"
	case errors.Is(err, kt.ErrNotIncluded):
		return "the relay served keys whose log entry is not in its signed log"
	case errors.Is(err, kt.ErrBadSignature):
		return "a transparency log tree head is not signed by the relay's log key"
	case errors.Is(err, kt.ErrNotWitnessed):
		return "the relay's log has not been co-signed by a trusted witness"
	case errors.Is(err, kt.ErrFork):
		return "the relay showed two different logs (forked log: split view)"
	case errors.Is(err, kt.ErrInconsistent):
		return "the relay's log history changed or differs from what others see (split view)"
	case errors.Is(err, kt.ErrRollback):
		return "the relay served an older key than one it served before"
	case errors.Is(err, kt.ErrUnknownBinding):
		return "the relay's log holds keys for your handle that this device did not register"
	case errors.Is(err, kt.ErrMalformed):
		return "the relay sent a malformed transparency proof"
	}
	return "the relay's transparency proof could not be checked"
}

// verifier loads the pinned log and VRF keys (fetched and pinned on first
// use, like the relay key).
func (m *Messenger) verifier(ctx context.Context) (*kt.Verifier, error) {
	if m.kt.v != nil {
		return m.kt.v, nil
	}
	b, err := m.st.Setting(ctx, settingKTKeys)
	if errors.Is(err, store.ErrNotFound) {
		k, err := m.relay.KTKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("fetch the transparency log keys: %w", err)
		}
		b = append(append([]byte{}, k.LogKey...), k.VRFKey...)
		if len(k.LogKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: relay's log key", kt.ErrMalformed)
		}
		if err := m.st.SetSetting(ctx, settingKTKeys, b); err != nil {
			return nil, fmt.Errorf("pin the transparency log keys: %w", err)
		}
	} else if err != nil {
		return nil, err
	}
	if len(b) != 64 {
		return nil, fmt.Errorf("transparency keys: %w", errBadRecord)
	}
	vk, err := vrf.ParsePublicKey(b[32:])
	if err != nil {
		return nil, fmt.Errorf("transparency VRF key: %w", err)
	}
	m.kt.v = &kt.Verifier{LogKey: ed25519.PublicKey(b[:32]), VRFKey: vk,
		Witnesses: m.cfg.Transparency.Witnesses, RequireWitness: m.cfg.Transparency.RequireWitness}
	return m.kt.v, nil
}

func (m *Messenger) fetchConsistency(ctx context.Context) kt.ConsistencyFunc {
	return func(a, b uint64) (kt.ConsistencyProof, error) { return m.relay.KTConsistency(ctx, a, b) }
}

// observeLocked checks h against the largest head kept and keeps it if
// larger. m.kt.mu is held.
func (m *Messenger) observeLocked(ctx context.Context, v *kt.Verifier, h kt.SignedTreeHead) error {
	var mon kt.Monitor
	b, err := m.st.Setting(ctx, settingKTMonitor)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := mon.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("transparency state: %w", errBadRecord)
		}
	}
	before := mon.Largest
	if err := mon.Observe(v, h, m.fetchConsistency(ctx)); err != nil {
		return err
	}
	if mon.Largest.Size != before.Size || len(mon.Largest.Cosignatures) != len(before.Cosignatures) || !mon.Largest.TreeHead.Equal(before.TreeHead) {
		nb, _ := mon.MarshalBinary()
		return m.st.SetSetting(ctx, settingKTMonitor, nb)
	}
	return nil
}

// lookupCheck is a verified lookup, to be recorded on its contact.
type lookupCheck struct {
	size, version uint64
}

// checkLookup verifies a lookup's transparency proof for h. On failure it
// raises the alarm on c (0 when h is not a contact yet) and returns an error
// wrapping ErrTransparency.
func (m *Messenger) checkLookup(ctx context.Context, c store.ContactID, h handle.Handle, look api.LookupResponse) (lookupCheck, error) {
	res, err := m.verifyLookup(ctx, c, h, look)
	if err != nil && isKTFailure(err) {
		return lookupCheck{}, m.alarm(ctx, c, err)
	}
	if err != nil {
		return lookupCheck{}, fmt.Errorf("check the lookup's transparency proof: %w", err)
	}
	return res, nil
}

func (m *Messenger) verifyLookup(ctx context.Context, c store.ContactID, h handle.Handle, look api.LookupResponse) (lookupCheck, error) {
	m.kt.mu.Lock()
	defer m.kt.mu.Unlock()
	v, err := m.verifier(ctx)
	if err != nil {
		return lookupCheck{}, err
	}
	p, err := kt.ParseLookupProof(look.Transparency)
	if err != nil {
		return lookupCheck{}, err
	}
	b := kt.Binding{IdentityKey: look.IdentityKey}
	for _, d := range look.Devices {
		bundle, err := keys.ParseBundle(d.Bundle)
		if err != nil {
			return lookupCheck{}, fmt.Errorf("%w: bundle", kt.ErrMalformed)
		}
		b.DeviceCertificates = append(b.DeviceCertificates, bundle.Device.Marshal())
	}
	if _, err := v.VerifyLookup(h.Hash(), b, p); err != nil {
		return lookupCheck{}, err
	}
	if c != 0 {
		if prev, err := m.Transparency(ctx, c); err == nil && p.Entry.Version < prev.Version {
			return lookupCheck{}, fmt.Errorf("%w: version %d after %d", kt.ErrRollback, p.Entry.Version, prev.Version)
		}
	}
	if err := m.observeLocked(ctx, v, p.Head); err != nil {
		return lookupCheck{}, err
	}
	return lookupCheck{size: p.Head.Size, version: p.Entry.Version}, nil
}

// recordLookup stores a passed lookup check on its contact.
func (m *Messenger) recordLookup(ctx context.Context, c store.ContactID, r lookupCheck) {
	s := TransparencyStatus{Checked: true, Size: r.size, Version: r.version, At: m.cfg.Now()}
	if err := m.setKTStatus(ctx, c, s); err != nil {
		m.cfg.Log.Warn("transparency status not saved", "err", err.Error())
	}
}

// latestTreeHead is the largest tree head kept, encoded for a message's
// TreeHead field (nil before the first check).
func (m *Messenger) latestTreeHead(ctx context.Context) []byte {
	b, err := m.st.Setting(ctx, settingKTMonitor)
	if err != nil {
		return nil
	}
	var mon kt.Monitor
	if mon.UnmarshalBinary(b) != nil || !mon.Seen() {
		return nil
	}
	return mon.Largest.Marshal()
}

// notePeerTreeHead checks, in the background, a tree head a contact sent
// inside an encrypted message: if the relay showed the contact a log that
// is not a prefix or extension of ours, one of us got a split view.
func (m *Messenger) notePeerTreeHead(c store.ContactID, raw []byte) {
	if len(raw) == 0 {
		return
	}
	raw = append([]byte(nil), raw...)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.CheckPeerTreeHead(ctx, c, raw); err != nil && !errors.Is(err, ErrTransparency) {
			m.cfg.Log.Warn("contact's tree head not checked", "err", err.Error())
		}
	}()
}

// CheckPeerTreeHead checks a tree head contact c sent against the largest
// one kept. A split view raises the alarm on c and on the account.
func (m *Messenger) CheckPeerTreeHead(ctx context.Context, c store.ContactID, raw []byte) error {
	h, err := kt.ParseSignedTreeHead(raw)
	if err == nil {
		err = func() error {
			m.kt.mu.Lock()
			defer m.kt.mu.Unlock()
			v, err := m.verifier(ctx)
			if err != nil {
				return err
			}
			if err := h.VerifySignature(v.LogKey); err != nil {
				return err // witness requirements apply to our heads, not theirs
			}
			return m.observeLocked(ctx, &kt.Verifier{LogKey: v.LogKey, VRFKey: v.VRFKey}, h)
		}()
	}
	switch {
	case err == nil:
		return nil
	case isKTFailure(err):
		_ = m.alarm(ctx, 0, err)
		return m.alarm(ctx, c, err)
	}
	return err
}

// CheckOwn audits this account's entries: the relay's latest entry for our
// handle must commit to our keys, and every entry appended since the last
// audit (fetched and hashed into the tree head, so none can be hidden) must
// be one this device made. Run calls it at start and every ownCheckEvery.
func (m *Messenger) CheckOwn(ctx context.Context) error {
	err := m.checkOwn(ctx)
	if err == nil {
		s, _ := m.Transparency(ctx, 0)
		if s.Failure == "" {
			a, _ := m.ownAuditSize(ctx)
			_ = m.setKTStatus(ctx, 0, TransparencyStatus{Checked: true, Size: a, Version: s.Version, At: m.cfg.Now()})
		}
		return nil
	}
	if !isKTFailure(err) {
		return fmt.Errorf("check own transparency entries: %w", err)
	}
	return m.alarm(ctx, 0, err)
}

func isKTFailure(err error) bool {
	for _, e := range []error{kt.ErrMalformed, kt.ErrBadSignature, kt.ErrNotWitnessed, kt.ErrBadVRF, kt.ErrBindingMismatch,
		kt.ErrNotIncluded, kt.ErrFork, kt.ErrInconsistent, kt.ErrRollback, kt.ErrUnknownBinding} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (m *Messenger) ownAuditSize(ctx context.Context) (uint64, error) {
	b, err := m.st.Setting(ctx, settingKTAudit)
	if err != nil {
		return 0, err
	}
	var a kt.Audit
	if err := a.UnmarshalBinary(b); err != nil {
		return 0, err
	}
	return a.Size(), nil
}

func (m *Messenger) checkOwn(ctx context.Context) error {
	m.kt.mu.Lock()
	defer m.kt.mu.Unlock()
	v, err := m.verifier(ctx)
	if err != nil {
		return err
	}
	p, err := m.relay.KTBinding(ctx, m.handle)
	if err != nil {
		return err
	}
	mine := kt.Binding{IdentityKey: m.identity.Public().Bytes(), DeviceCertificates: [][]byte{m.cert.Marshal()}}
	out, err := v.VerifyLookup(m.handle.Hash(), mine, p)
	if errors.Is(err, kt.ErrBindingMismatch) {
		return fmt.Errorf("%w: the latest entry is not ours", kt.ErrUnknownBinding)
	}
	if err != nil {
		return err
	}
	if err := m.observeLocked(ctx, v, p.Head); err != nil {
		return err
	}
	own := kt.Own{Index: out.Index, Commitments: []kt.Hash{out.Commit(mine)}}
	fetch := m.fetchConsistency(ctx)

	var a *kt.Audit
	b, err := m.st.Setting(ctx, settingKTAudit)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// First audit: start at our own entry, from the compact range
		// before it, proven by consistency with the head.
		hs, err := m.relay.KTRange(ctx, p.Inclusion.LeafIndex)
		if err != nil {
			return err
		}
		if a, err = kt.NewAudit(p.Inclusion.LeafIndex, hs); err != nil {
			return err
		}
		if err := a.Append(p.Entry.Marshal(), own); err != nil {
			return err
		}
		if err := a.Check(p.Head.TreeHead, fetch); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		a = new(kt.Audit)
		if err := a.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("own audit state: %w", errBadRecord)
		}
	}
	head, err := m.relay.KTHead(ctx)
	if err != nil {
		return err
	}
	if err := m.observeLocked(ctx, v, head); err != nil {
		return err
	}
	for a.Size() < head.Size {
		page, err := m.relay.KTEntries(ctx, a.Size(), int(min(head.Size-a.Size(), api.MaxKTEntriesPage)))
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("%w: the relay lists fewer entries than its tree head", kt.ErrInconsistent)
		}
		for _, e := range page {
			if err := a.Append(e, own); err != nil {
				return err
			}
		}
	}
	if err := a.Check(head.TreeHead, fetch); err != nil {
		return err
	}
	if a.Version < p.Entry.Version {
		return fmt.Errorf("%w: entry version %d not seen in the audit", kt.ErrInconsistent, p.Entry.Version)
	}
	nb, _ := a.MarshalBinary()
	return m.st.SetSetting(ctx, settingKTAudit, nb)
}

// transparencyLoop audits the account's own entries now and every
// ownCheckEvery until ctx ends.
func (m *Messenger) transparencyLoop(ctx context.Context) {
	t := time.NewTicker(ownCheckEvery)
	defer t.Stop()
	m.relay.OnConnect(func() {
		select {
		case m.ktKick <- struct{}{}:
		default:
		}
	})
	defer m.relay.OnConnect(nil)
	var last time.Time
	for {
		if err := m.CheckOwn(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, ErrTransparency) {
			m.cfg.Log.Warn("own transparency check postponed", "err", err.Error())
		}
		last = time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-m.ktKick:
				// Every reconnect, but not twice within reconnectCheckGap
				// (the first connect follows the check at start).
				if time.Since(last) < reconnectCheckGap {
					continue
				}
			}
			break
		}
	}
}

// reconnectCheckGap: reconnects closer together than this share one audit.
const reconnectCheckGap = 5 * time.Second

// TransparencyFromEnv reads the witness knobs the CLI and the desktop app
// share: SOTTO_KT_WITNESS_KEYS (comma-separated hex Ed25519 keys) and
// SOTTO_KT_REQUIRE_WITNESS=1.
func TransparencyFromEnv(getenv func(string) string) (TransparencyConfig, error) {
	var c TransparencyConfig
	for _, h := range strings.Split(getenv("SOTTO_KT_WITNESS_KEYS"), ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return c, errors.New("SOTTO_KT_WITNESS_KEYS: not a hex Ed25519 public key")
		}
		c.Witnesses = append(c.Witnesses, b)
	}
	c.RequireWitness = getenv("SOTTO_KT_REQUIRE_WITNESS") == "1"
	if c.RequireWitness && len(c.Witnesses) == 0 {
		return c, errors.New("SOTTO_KT_REQUIRE_WITNESS=1 needs SOTTO_KT_WITNESS_KEYS")
	}
	return c, nil
}
