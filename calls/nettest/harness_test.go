package nettest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// side is one call process as the test sees it.
type side struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.Reader
	in     *lineWriter
	events chan message
	report chan *report
	done   chan struct{} // stdout closed

	mu     sync.Mutex
	stderr bytes.Buffer
	latest sample // the last counters the side sent
}

// last returns the latest counters the side sent (zero before the call connects).
func (s *side) last() sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

func (s *side) Write(p []byte) (int, error) { // stderr
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(p)
}

func (s *side) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// callRun is a call between two processes, the caller in the link's first namespace and the
// callee in its second; the test relays their signaling.
type callRun struct {
	t     testing.TB
	sides [2]*side
}

// startCall starts both sides; the caller calls at once.
func startCall(t testing.TB, l *link, caller, callee childConfig) *callRun {
	t.Helper()
	caller.Caller, callee.Caller = true, false
	r := &callRun{t: t}
	for i, cfg := range []childConfig{caller, callee} {
		r.sides[i] = r.spawn(l.ns[i], []string{callerName, calleeName}[i], cfg)
	}
	for i, s := range r.sides {
		go r.readSide(s, r.sides[1-i])
	}
	t.Cleanup(r.stop)
	return r
}

func (r *callRun) spawn(ns, name string, cfg childConfig) *side {
	r.t.Helper()
	env, err := json.Marshal(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	s := &side{name: name, events: make(chan message, 64), report: make(chan *report, 1), done: make(chan struct{})}
	s.cmd = exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	s.cmd.Env = append(os.Environ(), childEnv+"="+string(env))
	s.cmd.Stderr = s
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		r.t.Fatal(err)
	}
	s.in = &lineWriter{w: s.stdin}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		r.t.Fatalf("start %s in %s: %v", name, ns, err)
	}
	s.stdout = stdout
	return s
}

// readSide relays s's signals to other and sorts its events and report.
func (r *callRun) readSide(s, other *side) {
	defer close(s.done)
	sc := bufio.NewScanner(s.stdout)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), lineTag)
		if !ok {
			continue
		}
		var msg message
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			r.t.Errorf("%s: bad message: %v", s.name, err)
			continue
		}
		switch msg.Kind {
		case msgSignal:
			_ = other.in.send(msg)
		case msgEvent:
			select {
			case s.events <- msg:
			default:
			}
		case msgSample:
			if msg.Sample != nil {
				s.mu.Lock()
				s.latest = *msg.Sample
				s.mu.Unlock()
			}
		case msgReport:
			s.report <- msg.Report
		}
	}
}

// waitState waits until side i reports state, failing if its call ends first or after timeout.
func (r *callRun) waitState(i int, state string, timeout time.Duration) time.Time {
	r.t.Helper()
	s := r.sides[i]
	deadline := time.After(timeout)
	for {
		select {
		case e := <-s.events:
			if e.State == state {
				return e.At
			}
			if e.State == "ended" {
				r.t.Fatalf("%s: call ended (%s: %s) while waiting for %s", s.name, e.Reason, e.Err, state)
			}
		case <-s.done:
			r.t.Fatalf("%s exited while waiting for %s; its log:\n%s", s.name, state, s.log())
		case <-deadline:
			r.t.Fatalf("%s: not %s within %v", s.name, state, timeout)
		}
	}
}

// connected waits until both sides are connected and returns when the later one was.
func (r *callRun) connected(timeout time.Duration) time.Time {
	r.t.Helper()
	a := r.waitState(0, "connected", timeout)
	b := r.waitState(1, "connected", timeout)
	if b.After(a) {
		return b
	}
	return a
}

// finish tells both sides to stop measuring and report now.
func (r *callRun) finish() {
	for _, s := range r.sides {
		_ = s.in.send(message{Kind: msgFinish})
	}
}

// reports waits for both sides' measurements.
func (r *callRun) reports(timeout time.Duration) [2]*report {
	r.t.Helper()
	var out [2]*report
	deadline := time.After(timeout)
	for i, s := range r.sides {
		select {
		case out[i] = <-s.report:
		case <-s.done:
			r.t.Fatalf("%s exited without a report; its log:\n%s", s.name, s.log())
		case <-deadline:
			r.t.Fatalf("%s: no report within %v", s.name, timeout)
		}
	}
	return out
}

// stop tells both sides to hang up and exit, kills them if they do not, and shows their logs
// when the test failed.
func (r *callRun) stop() {
	for _, s := range r.sides {
		_ = s.in.send(message{Kind: msgExit})
		_ = s.stdin.Close()
	}
	for _, s := range r.sides {
		exited := make(chan error, 1)
		go func() { exited <- s.cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-exited
			r.t.Errorf("%s did not exit within 5 s of being told to; killed", s.name)
		}
		if r.t.Failed() {
			if l := s.log(); l != "" {
				r.t.Logf("%s log:\n%s", s.name, l)
			}
		}
	}
}
