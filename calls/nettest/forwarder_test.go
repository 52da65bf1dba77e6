package nettest

import (
	"container/heap"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// tunFile is an open TUN device (IP packets, no extra header).
type tunFile = os.File

// openTUN creates TUN device name in this process's namespace; it goes away when the file closes.
func openTUN(name string) (*tunFile, error) {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req [40]byte // struct ifreq: name[16], flags
	copy(req[:syscall.IFNAMSIZ-1], name)
	binary.NativeEndian.PutUint16(req[syscall.IFNAMSIZ:], syscall.IFF_TUN|syscall.IFF_NO_PI)
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); errno != 0 {
		syscall.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, errno)
	}
	// Non-blocking, so the runtime poller serves reads and Close interrupts them.
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("tun %s nonblocking: %w", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// forwarder carries packets between two TUN devices, applying loss, delay and jitter the way tc
// netem does: each packet is dropped with the loss probability, else delivered after Delay plus a
// normally distributed jitter (never negative), independently of its neighbours — so jitter
// reorders packets, as netem's does.
type forwarder struct {
	files [2]*tunFile
	seed  uint64
	done  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	imp     impairment
	rng     *rand.Rand
	passed  [2]uint64
	dropped [2]uint64
}

func startForwarder(files [2]*tunFile) *forwarder {
	var seed [8]byte
	_, _ = crand.Read(seed[:])
	f := &forwarder{files: files, done: make(chan struct{})}
	f.seed = binary.LittleEndian.Uint64(seed[:])
	f.rng = rand.New(rand.NewPCG(f.seed, 0x5077))
	for dir := range 2 {
		line := &delayLine{out: files[1-dir], in: make(chan delayedPacket, 1024)}
		f.wg.Add(2)
		go func() { defer f.wg.Done(); line.run(f.done) }()
		go func() { defer f.wg.Done(); f.pump(dir, line) }()
	}
	return f
}

// set changes the impairment for packets read from now on.
func (f *forwarder) set(imp impairment) {
	f.mu.Lock()
	f.imp = imp
	f.mu.Unlock()
}

// counts returns packets passed and dropped per direction (0: a→b, 1: b→a).
func (f *forwarder) counts() (passed, dropped [2]uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.passed, f.dropped
}

func (f *forwarder) pump(dir int, line *delayLine) {
	buf := make([]byte, 65536)
	for {
		n, err := f.files[dir].Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		f.mu.Lock()
		imp := f.imp
		drop := imp.LossPct > 0 && f.rng.Float64()*100 < imp.LossPct
		delay := imp.Delay
		if imp.Jitter > 0 {
			delay += time.Duration(f.rng.NormFloat64() * float64(imp.Jitter))
		}
		if drop {
			f.dropped[dir]++
		} else {
			f.passed[dir]++
		}
		f.mu.Unlock()
		if drop {
			continue
		}
		p := delayedPacket{at: now.Add(max(delay, 0)), pkt: append([]byte(nil), buf[:n]...)}
		select {
		case line.in <- p:
		case <-f.done:
			return
		}
	}
}

func (f *forwarder) close() {
	close(f.done)
	for _, file := range f.files {
		file.Close()
	}
	f.wg.Wait()
}

// delayLine writes packets to out when they are due, in due order.
type delayLine struct {
	out *tunFile
	in  chan delayedPacket
	n   uint64
}

type delayedPacket struct {
	at  time.Time
	seq uint64 // keeps equal due times in arrival order
	pkt []byte
}

func (d *delayLine) run(done <-chan struct{}) {
	var q packetHeap
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case p := <-d.in:
			d.n++
			p.seq = d.n
			heap.Push(&q, p)
		case <-timer.C:
		case <-done:
			return
		}
		now := time.Now()
		for q.Len() > 0 && !q[0].at.After(now) {
			p := heap.Pop(&q).(delayedPacket)
			_, _ = d.out.Write(p.pkt) // a full queue drops, like a real link
		}
		if q.Len() > 0 {
			timer.Reset(q[0].at.Sub(now))
		}
	}
}

type packetHeap []delayedPacket

func (h packetHeap) Len() int { return len(h) }
func (h packetHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h packetHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)   { *h = append(*h, x.(delayedPacket)) }
func (h *packetHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}
