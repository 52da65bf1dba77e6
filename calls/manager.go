package calls

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Manager runs the calls of one device: at most one call at a time (a second
// incoming call is answered busy), each with its own PeerConnection. The app
// hands it every decrypted call signal (HandleSignal) and delivers the
// signals it produces (Config.Signaler). Safe for concurrent use.
type Manager struct {
	cfg    Config
	ctx    context.Context // ends at Close; used for sends that outlive a call
	cancel context.CancelFunc

	mu     sync.Mutex
	calls  map[CallID]*call
	ended  recentIDs            // calls that ended: late or duplicated signals are dropped
	early  map[CallID][]*Signal // candidates that overtook their offer
	closed bool
	wg     sync.WaitGroup
}

// Limits on state kept for signals that cannot be used yet.
const (
	maxEarlyCalls      = 16
	maxEarlyCandidates = 64
	maxRecentEnded     = 256
	signalSendTimeout  = 15 * time.Second
)

// NewManager checks cfg and returns a Manager with no calls.
func NewManager(cfg Config) (*Manager, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{cfg: cfg, ctx: ctx, cancel: cancel, calls: map[CallID]*call{},
		ended: recentIDs{max: maxRecentEnded}, early: map[CallID][]*Signal{}}, nil
}

// Calls returns snapshots of the calls in progress (not ended).
func (m *Manager) Calls() []CallInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]CallInfo, 0, len(m.calls))
	for _, c := range m.calls {
		out = append(out, c.snapshot())
	}
	return out
}

// Info returns a snapshot of call id, which may have ended recently.
func (m *Manager) Info(id CallID) (CallInfo, error) {
	c, err := m.lookupAny(id)
	if err != nil {
		return CallInfo{}, err
	}
	return c.snapshot(), nil
}

// Close hangs up every call and releases the Manager. Signals and API calls
// after Close fail with ErrClosed.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	cs := make([]*call, 0, len(m.calls))
	for _, c := range m.calls {
		cs = append(cs, c)
	}
	m.mu.Unlock()
	for _, c := range cs {
		_ = c.ex.do(func() error { c.end(ReasonHungUpLocal, nil, true); return nil })
	}
	m.wg.Wait() // hang-ups delivered (or timed out)
	m.cancel()
	return nil
}

// lookup returns the call in progress with id.
func (m *Manager) lookup(id CallID) (*call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	c := m.calls[id]
	if c == nil {
		return nil, fmt.Errorf("call %v: %w", id, ErrUnknownCall)
	}
	return c, nil
}

func (m *Manager) lookupAny(id CallID) (*call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.calls[id]; c != nil {
		return c, nil
	}
	if c := m.ended.get(id); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("call %v: %w", id, ErrUnknownCall)
}

// active returns the call in progress, if any. m.mu must be held.
func (m *Manager) activeLocked() *call {
	for _, c := range m.calls {
		return c
	}
	return nil
}

// forget moves an ended call out of the active set.
func (m *Manager) forget(c *call) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls[c.id] == c {
		delete(m.calls, c.id)
	}
	m.ended.add(c.id, c)
	delete(m.early, c.id)
}

// recentIDs remembers the last max ended calls (a ring), so duplicated or
// late signals for them are recognised and dropped.
type recentIDs struct {
	max   int
	order []CallID
	calls map[CallID]*call // nil value: an id we refused (busy) or saw hung up before its offer
}

func (r *recentIDs) add(id CallID, c *call) {
	if r.calls == nil {
		r.calls = map[CallID]*call{}
	}
	if _, ok := r.calls[id]; !ok {
		r.order = append(r.order, id)
		if len(r.order) > r.max {
			delete(r.calls, r.order[0])
			r.order = r.order[1:]
		}
	}
	if c != nil || r.calls[id] == nil {
		r.calls[id] = c
	}
}

func (r *recentIDs) has(id CallID) bool { _, ok := r.calls[id]; return ok }

func (r *recentIDs) get(id CallID) *call { return r.calls[id] }
