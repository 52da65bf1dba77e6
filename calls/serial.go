package calls

import "sync"

// serial runs functions one at a time in the order they were posted, on a
// goroutine of its own. Each call's state is only touched from its serial
// queue, so pion callbacks (some synchronous, some not), timers, signals
// from the peer and API calls never race and never deadlock on a lock held
// across a pion call. Posting never blocks.
type serial struct {
	mu      sync.Mutex
	queue   []func()
	running bool
}

// post queues f.
func (s *serial) post(f func()) {
	s.mu.Lock()
	s.queue = append(s.queue, f)
	if !s.running {
		s.running = true
		go s.drain()
	}
	s.mu.Unlock()
}

// do queues f and waits for it to run, returning its error.
func (s *serial) do(f func() error) error {
	done := make(chan error, 1)
	s.post(func() { done <- f() })
	return <-done
}

func (s *serial) drain() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		f := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()
		f()
	}
}
