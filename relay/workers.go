package relay

import "sync/atomic"

// workers runs short jobs (a connection's delivery, its flush of send
// results, an ack loop) on goroutines kept between jobs. A goroutine per
// job would start with a small stack and grow it (copy it) on every push:
// at one push per envelope that was a few per cent of the relay's CPU.
//
// A job goes to an idle worker when one is waiting and to a new goroutine
// otherwise, so a job blocked on a slow socket never holds up another. At
// most maxIdle workers wait between jobs; the rest exit.
type workers struct {
	jobs    chan func()
	quit    <-chan struct{}
	idle    atomic.Int32
	maxIdle int32
}

func newWorkers(maxIdle int, quit <-chan struct{}) *workers {
	return &workers{jobs: make(chan func()), quit: quit, maxIdle: int32(maxIdle)}
}

// run starts job on an idle worker or a new one.
func (w *workers) run(job func()) {
	select {
	case w.jobs <- job:
	default:
		go w.work(job)
	}
}

func (w *workers) work(job func()) {
	for {
		job()
		if w.idle.Add(1) > w.maxIdle {
			w.idle.Add(-1)
			return
		}
		select {
		case job = <-w.jobs:
			w.idle.Add(-1)
		case <-w.quit:
			w.idle.Add(-1)
			return
		}
	}
}
