package calls

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// network is an in-process signaling channel between Managers: it stands in
// for the app's end-to-end channel and can drop, delay, duplicate or alter
// blobs on their way.
type network struct {
	t        testing.TB
	mu       sync.Mutex
	managers map[string]*Manager
	queues   map[[2]string]*serial // ordered delivery per direction
	// Hooks, set before calls start. filter returns false to drop the blob.
	filter    func(from, to string, s *Signal) bool
	mutate    func(from, to string, s *Signal)
	delay     time.Duration
	duplicate bool
	down      map[string]bool // peers whose device cannot be reached
}

func newNetwork(t testing.TB) *network {
	return &network{t: t, managers: map[string]*Manager{}, queues: map[[2]string]*serial{}, down: map[string]bool{}}
}

// endpoint is one Manager's Signaler.
type endpoint struct {
	n    *network
	self string
}

var errUnreachable = errors.New("test network: peer unreachable")

func (e endpoint) SendSignal(_ context.Context, peer string, blob []byte) error {
	n := e.n
	n.mu.Lock()
	m := n.managers[peer]
	down := n.down[peer]
	key := [2]string{e.self, peer}
	q := n.queues[key]
	if q == nil {
		q = &serial{}
		n.queues[key] = q
	}
	filter, mutate, delay, dup := n.filter, n.mutate, n.delay, n.duplicate
	n.mu.Unlock()
	if m == nil || down {
		return errUnreachable
	}
	s, err := UnmarshalSignal(blob)
	if err != nil {
		n.t.Errorf("manager %s sent a blob it cannot decode: %v", e.self, err)
		return err
	}
	if filter != nil && !filter(e.self, peer, s) {
		return nil
	}
	if mutate != nil {
		mutate(e.self, peer, s)
		if blob, err = s.Marshal(); err != nil {
			return err
		}
	}
	deliver := func() {
		if delay > 0 {
			time.Sleep(delay)
		}
		_ = m.HandleSignal(context.Background(), e.self, blob)
	}
	q.post(deliver)
	if dup {
		q.post(deliver)
	}
	return nil
}

// peer is a Manager under test with its event log.
type peer struct {
	name   string
	m      *Manager
	events chan Event
}

// add makes a Manager called name on the network; tweak adjusts its Config.
func (n *network) add(name string, tweak func(*Config)) *peer {
	p := &peer{name: name, events: make(chan Event, 256)}
	cfg := Config{
		Signaler:           endpoint{n: n, self: name},
		Events:             func(e Event) { p.events <- e },
		LoopbackCandidates: true,
		Logger:             debugLogger,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := NewManager(cfg)
	if err != nil {
		n.t.Fatalf("new manager: %v", err)
	}
	p.m = m
	n.mu.Lock()
	n.managers[name] = m
	n.mu.Unlock()
	n.t.Cleanup(func() { m.Close() })
	return p
}

const waitLong = 15 * time.Second

var debugLogger *slog.Logger

// wait returns the next event of p in state want, failing on an unexpected
// end or after waitLong.
func (p *peer) wait(t testing.TB, want State) Event {
	t.Helper()
	deadline := time.After(waitLong)
	for {
		select {
		case e := <-p.events:
			if e.State == want {
				return e
			}
			if e.State == StateEnded && e.Reason != ReasonMerged {
				t.Fatalf("%s: call ended (%v, err %v) while waiting for %v", p.name, e.Reason, e.Err, want)
			}
		case <-deadline:
			t.Fatalf("%s: no %v event within %v", p.name, want, waitLong)
		}
	}
}

// waitEnd returns p's next ended event.
func (p *peer) waitEnd(t testing.TB) Event {
	t.Helper()
	deadline := time.After(waitLong)
	for {
		select {
		case e := <-p.events:
			if e.State == StateEnded {
				return e
			}
		case <-deadline:
			t.Fatalf("%s: call did not end within %v", p.name, waitLong)
		}
	}
}

// connect has a call b and b accept; it returns the call id once both are
// connected.
func connect(t testing.TB, a, b *peer, video bool) CallID {
	t.Helper()
	id, err := a.m.Call(context.Background(), b.name, video)
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	in := b.wait(t, StateRinging)
	if in.Call != id || !in.Incoming || in.Peer != a.name || in.Video != video {
		t.Fatalf("incoming event %+v, want call %v from %s video %v", in, id, a.name, video)
	}
	if err := b.m.Accept(context.Background(), id, video); err != nil {
		t.Fatalf("accept: %v", err)
	}
	a.wait(t, StateConnected)
	b.wait(t, StateConnected)
	return id
}

// fakeClock is a Clock tests advance by hand.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	done bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves the clock on and runs the timers that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.done && !t.at.After(c.now) {
			t.done = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		go f()
	}
}
