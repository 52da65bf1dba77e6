package nettest

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// linkKind is how the two namespaces are joined and shaped.
type linkKind int

const (
	linkUnknown linkKind = iota
	// linkNetem: a veth pair; loss, delay and jitter by tc netem, the rate cap by tc tbf, all in
	// the kernel. Used when the kernel has sch_netem.
	linkNetem
	// linkTUN: a TUN device in each namespace, joined by this test's forwarder, which applies
	// loss, delay and jitter the way netem does (independent normal delay per packet, so jitter
	// reorders); the rate cap is still tc tbf, on the TUN devices. Used when sch_netem is missing.
	linkTUN
)

func (k linkKind) String() string {
	switch k {
	case linkNetem:
		return "veth+netem"
	case linkTUN:
		return "tun+userspace-netem"
	case linkUnknown:
	}
	return "unknown"
}

// impairment is what a link does to packets, the same in both directions.
type impairment struct {
	LossPct  float64       // random, independent per packet; 100 is an outage
	Delay    time.Duration // one way
	Jitter   time.Duration // standard deviation of a normal distribution around Delay
	RateKbit int           // tc tbf cap; 0 means none
}

func (i impairment) String() string {
	var parts []string
	if i.LossPct > 0 {
		parts = append(parts, fmt.Sprintf("loss %g%%", i.LossPct))
	}
	if i.Delay > 0 || i.Jitter > 0 {
		parts = append(parts, fmt.Sprintf("delay %v ±%v (normal)", i.Delay, i.Jitter))
	}
	if i.RateKbit > 0 {
		parts = append(parts, fmt.Sprintf("tbf %s", tbfArgs(i.RateKbit)))
	}
	if len(parts) == 0 {
		return "clean"
	}
	return strings.Join(parts, ", ")
}

// link joins two namespaces with private addresses (10.213.N.1/30 and .2).
type link struct {
	t    testing.TB
	kind linkKind
	ns   [2]string
	dev  [2]string
	addr [2]string
	fwd  *forwarder // linkTUN only
}

// newLink creates two namespaces and the link between them, all removed when the test ends.
func newLink(t testing.TB) *link {
	t.Helper()
	needNetns(t)
	removeStaleNamespaces(t)
	l := &link{t: t, ns: [2]string{newNamespace(t, "a"), newNamespace(t, "b")}}
	subnet := fmt.Sprintf("10.213.%d", rand.IntN(250)+1)
	l.addr = [2]string{subnet + ".1", subnet + ".2"}
	id := randomHex(t, 3)
	l.dev = [2]string{"snt" + id + "a", "snt" + id + "b"}
	if l.tryVeth() {
		l.kind = linkNetem
	} else {
		l.kind = linkTUN
		l.makeTUN()
	}
	for i := range 2 {
		run(t, "ip", "-n", l.ns[i], "addr", "add", l.addr[i]+"/30", "dev", l.dev[i])
		run(t, "ip", "-n", l.ns[i], "link", "set", l.dev[i], "up")
	}
	return l
}

// tryVeth makes the veth pair and keeps it if the kernel can run netem on it.
func (l *link) tryVeth() bool {
	run(l.t, "ip", "-n", l.ns[0], "link", "add", l.dev[0], "type", "veth", "peer", "name", l.dev[1], "netns", l.ns[1])
	if err := exec.Command("tc", "-n", l.ns[0], "qdisc", "replace", "dev", l.dev[0], "root", "netem", "delay", "0ms").Run(); err == nil {
		run(l.t, "tc", "-n", l.ns[0], "qdisc", "del", "dev", l.dev[0], "root")
		return true
	}
	run(l.t, "ip", "-n", l.ns[0], "link", "del", l.dev[0]) // takes its peer with it
	return false
}

func (l *link) makeTUN() {
	var files [2]*tunFile
	for i := range 2 {
		f, err := openTUN(l.dev[i])
		if err != nil {
			l.t.Fatalf("tun %s: %v", l.dev[i], err)
		}
		files[i] = f
		run(l.t, "ip", "link", "set", l.dev[i], "netns", l.ns[i])
	}
	l.fwd = startForwarder(files)
	l.t.Logf("forwarder seed %d (loss and jitter draws)", l.fwd.seed)
	l.t.Cleanup(l.fwd.close)
}

// set shapes both directions of the link (replacing what was there) and returns when the loss,
// delay and jitter took effect (the tc commands take a while on a loaded machine).
func (l *link) set(imp impairment) time.Time {
	l.t.Helper()
	var at time.Time
	if l.kind == linkTUN {
		l.fwd.set(impairment{LossPct: imp.LossPct, Delay: imp.Delay, Jitter: imp.Jitter})
		at = time.Now()
	}
	for i := range 2 {
		args := l.qdisc(imp)
		if args == nil {
			_ = exec.Command("tc", "-n", l.ns[i], "qdisc", "del", "dev", l.dev[i], "root").Run()
			continue
		}
		run(l.t, "tc", append([]string{"-n", l.ns[i], "qdisc", "replace", "dev", l.dev[i], "root"}, args...)...)
		if i == 0 && (at.IsZero() || imp.RateKbit > 0) {
			at = time.Now() // netem or a tbf cap: in effect on the caller's side (where video leaves) now
		}
	}
	if at.IsZero() {
		at = time.Now()
	}
	return at
}

// qdisc is the tc root qdisc for imp on this link's devices, or nil for none.
func (l *link) qdisc(imp impairment) []string {
	if imp.RateKbit > 0 {
		if l.kind == linkNetem && (imp.LossPct > 0 || imp.Delay > 0 || imp.Jitter > 0) {
			l.t.Fatalf("impairment %v: a rate cap with loss or delay is not supported", imp)
		}
		return append([]string{"tbf"}, strings.Fields(tbfArgs(imp.RateKbit))...)
	}
	if l.kind != linkNetem || (imp.LossPct == 0 && imp.Delay == 0 && imp.Jitter == 0) {
		return nil
	}
	args := []string{"netem"}
	if imp.Delay > 0 || imp.Jitter > 0 {
		args = append(args, "delay", fmt.Sprintf("%dms", imp.Delay.Milliseconds()))
		if imp.Jitter > 0 {
			args = append(args, fmt.Sprintf("%dms", imp.Jitter.Milliseconds()), "distribution", "normal")
		}
	}
	if imp.LossPct > 0 {
		args = append(args, "loss", fmt.Sprintf("%g%%", imp.LossPct))
	}
	return args
}

// tbfArgs is the token bucket for a rate cap: a 10 kB bucket and at most 200 ms of queue, like a
// small home uplink.
func tbfArgs(kbit int) string {
	return fmt.Sprintf("rate %dkbit burst 10kb latency 200ms", kbit)
}

// describe says what the link is, for the test log.
func (l *link) describe() string {
	return fmt.Sprintf("%v link %s (%s) ↔ %s (%s)", l.kind, l.addr[0], l.ns[0], l.addr[1], l.ns[1])
}

// qdiscStats is tc's one-line counters for each end's root qdisc (sent, dropped, overlimits).
func (l *link) qdiscStats() string {
	var parts []string
	for i := range 2 {
		out, err := exec.Command("tc", "-s", "-n", l.ns[i], "qdisc", "show", "dev", l.dev[i]).CombinedOutput()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "Sent ") {
				parts = append(parts, fmt.Sprintf("%s: %s", []string{"caller out", "callee out"}[i], line))
				break
			}
		}
	}
	return strings.Join(parts, "; ")
}
