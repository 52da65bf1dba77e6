package relay

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sotto-im/sotto/crypto/keys"
	"github.com/sotto-im/sotto/crypto/vrf"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/kt"
	"github.com/sotto-im/sotto/kt/tree"
	"github.com/sotto-im/sotto/relay/store"
)

// ktLog is this node's view of the key-transparency log: the entries live
// in the store (shared by every node), the Merkle tree over their hashes in
// memory (rebuilt at start, extended from the store as entries arrive), and
// tree heads are stored one per size so every node serves the same head.
type ktLog struct {
	st        store.Store
	logKey    ed25519.PrivateKey
	vrfKey    *vrf.PrivateKey
	witnesses []ed25519.PublicKey
	interval  time.Duration
	now       func() time.Time

	mu        sync.Mutex // guards tree, lastIssue and issued
	tree      tree.Tree
	lastIssue time.Time
	issued    chan struct{} // closed and replaced when a head is stored

	// appended is set when this node appends an entry; the background loop
	// then issues a head at the next tick, and otherwise looks at the store
	// (for other nodes' entries) only every otherNodesPoll.
	appended atomic.Bool
}

// otherNodesPoll is how often a node looks for entries other nodes
// appended, when it appended none itself.
const otherNodesPoll = time.Second

func newKTLog(ctx context.Context, st store.Store, cfg KTConfig, now func() time.Time) (*ktLog, error) {
	random32 := func() []byte {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return b
	}
	logSeed, err := st.RelaySecret(ctx, "kt-log-key-v1", random32)
	if err != nil {
		return nil, fmt.Errorf("load log key: %w", err)
	}
	vrfSeed, err := st.RelaySecret(ctx, "kt-vrf-key-v1", random32)
	if err != nil {
		return nil, fmt.Errorf("load VRF key: %w", err)
	}
	vk, err := vrf.NewPrivateKey(vrfSeed)
	if err != nil {
		return nil, fmt.Errorf("VRF key: %w", err)
	}
	l := &ktLog{st: st, logKey: ed25519.NewKeyFromSeed(logSeed), vrfKey: vk, witnesses: cfg.Witnesses,
		interval: cfg.Interval, now: now, issued: make(chan struct{})}
	if err := l.sync(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// sync appends to the in-memory tree every entry the store has beyond it.
func (l *ktLog) sync(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.syncLocked(ctx)
}

func (l *ktLog) syncLocked(ctx context.Context) error {
	for {
		page, err := l.st.Leaves(ctx, l.tree.Size(), 10_000)
		if err != nil {
			return fmt.Errorf("load log entries: %w", err)
		}
		for _, e := range page {
			if e.Index != l.tree.Size() {
				return fmt.Errorf("log entry %d where %d was expected", e.Index, l.tree.Size())
			}
			l.tree.Append(kt.LeafHash(e.Data))
		}
		if len(page) < 10_000 {
			return nil
		}
	}
}

// bindingOf is what an account resolves to, in the form a client rebuilds
// from a lookup (identity key, each device certificate re-encoded).
func bindingOf(a store.Account, devices []store.Device) (kt.Binding, error) {
	b := kt.Binding{IdentityKey: a.IdentityKey}
	for _, d := range devices {
		c, err := keys.ParseDeviceCertificate(d.Certificate)
		if err != nil {
			return kt.Binding{}, fmt.Errorf("stored certificate: %w", err)
		}
		b.DeviceCertificates = append(b.DeviceCertificates, c.Marshal())
	}
	return b, nil
}

// ensureBinding makes the latest entry for hh commit to b, appending a new
// version when it does not (registration, a key or device change, or an
// append lost to a crash between the account's commit and the log's).
func (l *ktLog) ensureBinding(ctx context.Context, hh handle.Hash, b kt.Binding) (store.LogLeaf, [kt.ProofSize]byte, error) {
	pi, out := kt.ProveIndex(l.vrfKey, hh)
	want := out.Commit(b)
	for range 5 {
		latest, err := l.st.LatestLeaf(ctx, out.Index)
		var version uint64 = 1
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return store.LogLeaf{}, pi, fmt.Errorf("latest log entry: %w", err)
		default:
			e, err := kt.ParseEntry(latest.Data)
			if err != nil {
				return store.LogLeaf{}, pi, fmt.Errorf("stored log entry: %w", err)
			}
			if e.Commitment == want {
				return latest, pi, nil
			}
			version = latest.Version + 1
		}
		data := kt.Entry{Index: out.Index, Version: version, Time: l.now(), Commitment: want}.Marshal()
		idx, err := l.st.AppendLeaf(ctx, out.Index, version, data)
		if errors.Is(err, store.ErrVersionExists) {
			continue // another request appended this version first
		}
		if err != nil {
			return store.LogLeaf{}, pi, fmt.Errorf("append log entry: %w", err)
		}
		l.appended.Store(true)
		return store.LogLeaf{Index: idx, VRFIndex: out.Index, Version: version, Data: data}, pi, nil
	}
	return store.LogLeaf{}, pi, errors.New("log entry: too many concurrent appends")
}

// decodeHead turns a stored head into a kt.SignedTreeHead with its
// co-signatures (unparsable co-signatures are left out).
func decodeHead(h store.TreeHead) (kt.SignedTreeHead, error) {
	sth, err := kt.ParseSignedTreeHead(h.Data)
	if err != nil {
		return kt.SignedTreeHead{}, fmt.Errorf("stored tree head: %w", err)
	}
	for _, c := range h.Cosignatures {
		if cs, err := kt.ParseCosignature(c); err == nil && len(sth.Cosignatures) < kt.MaxCosignatures {
			sth.Cosignatures = append(sth.Cosignatures, cs)
		}
	}
	return sth, nil
}

// head is the latest stored tree head; a log without one gets its first.
func (l *ktLog) head(ctx context.Context) (kt.SignedTreeHead, error) {
	h, err := l.st.LatestTreeHead(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return l.issue(ctx, true)
	}
	if err != nil {
		return kt.SignedTreeHead{}, fmt.Errorf("latest tree head: %w", err)
	}
	return decodeHead(h)
}

// issue signs a head over every entry the store has, unless the latest head
// already covers them or (without force) this node signed one less than the
// interval ago. It returns the latest head either way.
func (l *ktLog) issue(ctx context.Context, force bool) (kt.SignedTreeHead, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.syncLocked(ctx); err != nil {
		return kt.SignedTreeHead{}, err
	}
	size := l.tree.Size()
	latest, err := l.st.LatestTreeHead(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		force = true
	case err != nil:
		return kt.SignedTreeHead{}, fmt.Errorf("latest tree head: %w", err)
	case latest.Size >= size:
		return decodeHead(latest)
	}
	now := l.now()
	if !force && now.Sub(l.lastIssue) < l.interval {
		return decodeHead(latest)
	}
	root, err := l.tree.Root(size)
	if err != nil {
		return kt.SignedTreeHead{}, err
	}
	sth := kt.SignTreeHead(l.logKey, kt.TreeHead{Size: size, Root: root, Time: now})
	stored, err := l.st.PutTreeHead(ctx, size, sth.Marshal())
	if err != nil {
		return kt.SignedTreeHead{}, fmt.Errorf("store tree head: %w", err)
	}
	l.lastIssue = now
	close(l.issued)
	l.issued = make(chan struct{})
	return decodeHead(stored)
}

// headCovering waits until a head covers the first n entries, issuing one
// as soon as the interval allows.
func (l *ktLog) headCovering(ctx context.Context, n uint64) (kt.SignedTreeHead, error) {
	for {
		h, err := l.issue(ctx, false)
		if err != nil || h.Size >= n {
			return h, err
		}
		l.mu.Lock()
		wait := l.interval - l.now().Sub(l.lastIssue)
		issued := l.issued
		l.mu.Unlock()
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return kt.SignedTreeHead{}, ctx.Err()
		case <-issued:
		case <-t.C:
		}
		t.Stop()
	}
}

// ensureSize extends the in-memory tree to at least n entries (heads issued
// by another node may be ahead of this one).
func (l *ktLog) ensureSizeLocked(ctx context.Context, n uint64) error {
	if l.tree.Size() >= n {
		return nil
	}
	if err := l.syncLocked(ctx); err != nil {
		return err
	}
	if l.tree.Size() < n {
		return fmt.Errorf("log has %d entries, head claims %d", l.tree.Size(), n)
	}
	return nil
}

func (l *ktLog) inclusion(ctx context.Context, leaf, size uint64) (kt.InclusionProof, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensureSizeLocked(ctx, size); err != nil {
		return kt.InclusionProof{}, err
	}
	hs, err := l.tree.Inclusion(leaf, size)
	return kt.InclusionProof{LeafIndex: leaf, TreeSize: size, Hashes: hs}, err
}

func (l *ktLog) consistency(ctx context.Context, size1, size2 uint64) (kt.ConsistencyProof, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensureSizeLocked(ctx, size2); err != nil {
		return kt.ConsistencyProof{}, err
	}
	hs, err := l.tree.Consistency(size1, size2)
	return kt.ConsistencyProof{Size1: size1, Size2: size2, Hashes: hs}, err
}

func (l *ktLog) rangeHashes(ctx context.Context, end uint64) ([]kt.Hash, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensureSizeLocked(ctx, end); err != nil {
		return nil, err
	}
	return l.tree.RangeHashes(end)
}

// lookupProof is the transparency part of a lookup of hh resolving to b.
func (l *ktLog) lookupProof(ctx context.Context, hh handle.Hash, b kt.Binding) (kt.LookupProof, error) {
	leaf, pi, err := l.ensureBinding(ctx, hh, b)
	if err != nil {
		return kt.LookupProof{}, err
	}
	entry, err := kt.ParseEntry(leaf.Data)
	if err != nil {
		return kt.LookupProof{}, fmt.Errorf("stored log entry: %w", err)
	}
	head, err := l.headCovering(ctx, leaf.Index+1)
	if err != nil {
		return kt.LookupProof{}, err
	}
	incl, err := l.inclusion(ctx, leaf.Index, head.Size)
	if err != nil {
		return kt.LookupProof{}, err
	}
	return kt.LookupProof{VRFProof: pi, Entry: entry, Inclusion: incl, Head: head}, nil
}

// run issues heads for new entries every interval until ctx ends.
func (l *ktLog) run(ctx context.Context, log interface{ Warn(string, ...any) }) {
	t := time.NewTicker(l.interval)
	defer t.Stop()
	var polled time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !l.appended.Load() && time.Since(polled) < otherNodesPoll {
			continue
		}
		polled = time.Now()
		l.appended.Store(false)
		h, err := l.issue(ctx, false)
		if err != nil {
			if ctx.Err() == nil {
				l.appended.Store(true) // try again at the next tick
				log.Warn("issuing a tree head failed", "err", err)
			}
			continue
		}
		l.mu.Lock()
		behind := h.Size < l.tree.Size() // the interval held the head back
		l.mu.Unlock()
		if behind {
			l.appended.Store(true)
		}
	}
}
