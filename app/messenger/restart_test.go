package messenger

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sotto-im/sotto/handle"
)

// relayProcess is sotto-relay running as its own process on a fixed
// loopback address and store, so it can be killed and started again.
type relayProcess struct {
	t      *testing.T
	bin    string
	dsn    string
	listen string
	cmd    *exec.Cmd
}

func (r *relayProcess) start() string {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "serve", "--listen", r.listen, "--insecure-loopback", "--store", r.dsn,
		"--pow-bits", "1", "--pow-memory", "8", "--pow-time", "1", "--no-rate-limits")
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		r.t.Fatalf("relay printed no address: %v", err)
	}
	_, url, _ := strings.Cut(strings.TrimSpace(line), " on ")
	r.listen = strings.TrimPrefix(url, "http://")
	return url
}

// kill ends the relay with SIGKILL: no graceful shutdown, no flush.
func (r *relayProcess) kill() {
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_ = r.cmd.Wait()
}

// TestRelayAndClientsRestartMidConversation: three people talk through a
// relay process that is SIGKILLed and restarted twice, while one of them is
// offline and restarts too. Every message arrives exactly once, in order.
func TestRelayAndClientsRestartMidConversation(t *testing.T) {
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "sotto-relay")
	build := exec.Command("go", "build", "-o", bin, "./cmd/sotto-relay")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build relay: %v\n%s", err, out)
	}
	r := &relayProcess{t: t, bin: bin, dsn: "sqlite:" + filepath.Join(t.TempDir(), "relay.db"), listen: "127.0.0.1:0"}
	url := r.start()
	t.Cleanup(r.kill)

	alice := newPeer(t, url, "alice")
	bob := newPeer(t, url, "bob")
	carol := newPeer(t, url, "carol")

	var toBob, toCarol []string
	say := func(from *peer, to string, text string) {
		t.Helper()
		row, err := from.m.SendText(ctx, handle.MustParse(to), text, 0)
		if err != nil && row.ID == 0 {
			t.Fatalf("%s → %s: %v", from.m.Handle(), to, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for i := range 5 {
		s := fmt.Sprintf("a→b %d", i)
		say(alice, "bob", s)
		toBob = append(toBob, s)
		c := fmt.Sprintf("a→c %d", i)
		say(alice, "carol", c)
		toCarol = append(toCarol, c)
	}
	r.kill() // mid-conversation: some sends fail and stay pending
	bob.stop()
	for i := 5; i < 8; i++ {
		s := fmt.Sprintf("a→b %d", i)
		say(alice, "bob", s)
		toBob = append(toBob, s)
	}
	r.start()
	for i := 8; i < 12; i++ {
		s := fmt.Sprintf("a→b %d", i)
		say(alice, "bob", s)
		toBob = append(toBob, s)
	}
	r.kill()
	r.start()
	bob.reopen()
	carol.reopen()
	c := "c→a hello after the restarts"
	say(carol, "alice", c)

	waitHistory := func(p *peer, with string, want []string) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			got := bodies(p.history(t, with))
			if equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's history with %s:\n got %q\nwant %q", p.m.Handle(), with, got, want)
			}
		}
	}
	waitHistory(bob, "alice", toBob)
	waitHistory(carol, "alice", append(append([]string{}, toCarol...), c))
	waitHistory(alice, "carol", append(append([]string{}, toCarol...), c))
	t.Logf("bob got %d messages, once each and in order, through two relay crashes and his own restart", len(toBob))
}
