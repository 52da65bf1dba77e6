package media

import "time"

// seqUnwrapper extends 16-bit RTP sequence numbers to int64 so that wrap-around and reordering
// around it compare correctly: each number maps to the extension closest to the last one seen.
type seqUnwrapper struct {
	last    int64
	started bool
}

func (u *seqUnwrapper) unwrap(s uint16) int64 {
	if !u.started {
		u.started, u.last = true, int64(s)
		return u.last
	}
	ext := u.last + int64(int16(s-uint16(u.last)))
	if ext > u.last {
		u.last = ext
	}
	return ext
}

// tsUnwrapper does the same for 32-bit RTP timestamps.
type tsUnwrapper struct {
	last    int64
	started bool
}

func (u *tsUnwrapper) unwrap(t uint32) int64 {
	if !u.started {
		u.started, u.last = true, int64(t)
		return u.last
	}
	ext := u.last + int64(int32(t-uint32(u.last)))
	if ext > u.last {
		u.last = ext
	}
	return ext
}

// jitterEstimator is the RFC 3550 §6.4.1 interarrival jitter, fed once per media timestamp (the
// first packet of each frame) so that a frame's packets sent back to back do not count as jitter.
type jitterEstimator struct {
	clockRate   float64
	have        bool
	lastTS      int64
	lastArrival time.Time
	j           float64 // seconds
}

func (e *jitterEstimator) observe(ts int64, arrival time.Time) {
	if e.have && ts == e.lastTS {
		return
	}
	if e.have && ts > e.lastTS {
		d := arrival.Sub(e.lastArrival).Seconds() - float64(ts-e.lastTS)/e.clockRate
		if d < 0 {
			d = -d
		}
		e.j += (d - e.j) / 16
	}
	if !e.have || ts > e.lastTS {
		e.have, e.lastTS, e.lastArrival = true, ts, arrival
	}
}

func (e *jitterEstimator) jitter() time.Duration { return time.Duration(e.j * float64(time.Second)) }
