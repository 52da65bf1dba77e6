package relay

import (
	"sync"
	"time"
)

// limiter is a set of token buckets keyed by string (an IP, a device
// address, a handle hash). Idle full buckets are dropped by sweep.
type limiter struct {
	rate    Rate
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(r Rate) *limiter {
	return &limiter{rate: r, buckets: map[string]*bucket{}}
}

// allow takes one token for key; when none is left it returns false and how
// long until one is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.rate.Burst <= 0 || l.rate.Every <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens += float64(el) / float64(l.rate.Every)
		if b.tokens > float64(l.rate.Burst) {
			b.tokens = float64(l.rate.Burst)
		}
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.rate.Every))
}

// sweep drops buckets that have refilled completely.
func (l *limiter) sweep(now time.Time) {
	if l == nil || l.rate.Every <= 0 {
		return
	}
	full := time.Duration(l.rate.Burst) * l.rate.Every
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}
