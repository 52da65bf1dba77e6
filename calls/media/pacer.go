package media

import "time"

// pacer releases one tick per period on a fixed schedule (no drift: tick n is due at start + n·period).
// If the reader falls behind by more than maxLag the schedule restarts from now instead of bursting.
type pacer struct {
	period time.Duration
	start  time.Time
	n      int64
}

const maxLag = 200 * time.Millisecond

func newPacer(period time.Duration) *pacer { return &pacer{period: period} }

// wait blocks until the next tick is due and returns its scheduled time.
// A nil pacer does not wait.
func (p *pacer) wait() time.Time {
	now := time.Now()
	if p == nil {
		return now
	}
	if p.start.IsZero() {
		p.start = now
	}
	due := p.start.Add(time.Duration(p.n) * p.period)
	if now.Sub(due) > maxLag {
		p.start, p.n, due = now, 0, now
	}
	if d := due.Sub(now); d > 0 {
		time.Sleep(d)
	}
	p.n++
	return due
}
