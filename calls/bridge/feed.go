package bridge

import (
	"sync/atomic"
)

// feed is one stream of one call: the newest frame, the pages watching it and
// the open sinks. Writers touch only atomics, so WriteVideo never waits on a
// page or on the bridge's lock.
type feed struct {
	key key

	latest atomic.Pointer[frame]
	// ended counts the times the last sink closed; pages are told once each.
	ended  atomic.Uint64
	closed atomic.Bool
	// watchers is replaced, never changed in place (copy on write under Bridge.mu).
	watchers atomic.Pointer[[]*viewer]

	sinks int // under Bridge.mu

	written atomic.Uint64
	sent    atomic.Uint64
	dropped atomic.Uint64
}

func (f *feed) viewers() []*viewer {
	if p := f.watchers.Load(); p != nil {
		return *p
	}
	return nil
}

// addViewer and removeViewer run under Bridge.mu.
func (f *feed) addViewer(v *viewer) {
	old := f.viewers()
	next := make([]*viewer, 0, len(old)+1)
	next = append(append(next, old...), v)
	f.watchers.Store(&next)
}

func (f *feed) removeViewer(v *viewer) {
	old := f.viewers()
	next := make([]*viewer, 0, len(old))
	for _, x := range old {
		if x != v {
			next = append(next, x)
		}
	}
	f.watchers.Store(&next)
}

// publish makes fr the newest frame and wakes every page.
func (f *feed) publish(fr *frame) {
	f.latest.Store(fr)
	f.written.Add(1)
	for _, v := range f.viewers() {
		v.wake()
	}
}

// finish tells the pages the stream stopped (camera off, call over).
func (f *feed) finish() {
	f.latest.Store(nil)
	f.ended.Add(1)
	for _, v := range f.viewers() {
		v.wake()
	}
}

func (f *feed) stats() StreamStats {
	return StreamStats{
		Written: f.written.Load(),
		Sent:    f.sent.Load(),
		Dropped: f.dropped.Load(),
		Viewers: len(f.viewers()),
	}
}
