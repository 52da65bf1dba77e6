package bridge

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sotto-im/sotto/calls/media"
)

// Sink feeds one stream of one call. WriteVideo copies the frame and returns:
// it never waits for a page, and drops the frame when no page watches.
type Sink struct {
	b    *Bridge
	st   *feed
	once sync.Once
	done atomic.Bool
}

var _ media.VideoSink = (*Sink)(nil)

// WriteVideo hands a decoded frame to the pages watching this stream.
func (s *Sink) WriteVideo(f *media.VideoFrame) error {
	if s.done.Load() || s.st.closed.Load() {
		return fmt.Errorf("write video to bridge: %w", ErrClosed)
	}
	if len(s.st.viewers()) == 0 {
		return nil
	}
	fr, err := copyFrame(f, s.b.seq.Add(1))
	if err != nil {
		return fmt.Errorf("write video to bridge: %w", err)
	}
	s.st.publish(fr)
	return nil
}

// Close ends this sink; when it was the stream's last, pages are told
// {"event":"ended"} and keep their connection for a later sink (camera on again).
func (s *Sink) Close() error {
	s.once.Do(func() {
		s.done.Store(true)
		b := s.b
		b.mu.Lock()
		defer b.mu.Unlock()
		s.st.sinks--
		if s.st.sinks == 0 {
			s.st.finish()
			b.forgetLocked(s.st)
		}
	})
	return nil
}
