//go:build unix

package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "SOTTO_STORE_CRASH_CHILD"

func crashBody(round, i int) string {
	return fmt.Sprintf("round %d message %d: crash-safe words élan", round, i)
}

func crashAttachment(round, i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("attachment %d/%d ", round, i)), 5000)
}

// TestCrashChild is the child side of TestCrashRecovery; it does nothing
// unless started by it.
func TestCrashChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	var dir string
	var round int
	var contact, conv1, conv2 int64
	if _, err := fmt.Sscanf(spec, "%d %d %d %d %s", &round, &contact, &conv1, &conv2, &dir); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := Open(ctx, dir, Options{Passphrase: testPass})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	say := func(format string, args ...any) {
		// Unbuffered: a line is out before the next write starts.
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	say("ready")
	for i := 0; ; i++ {
		var counter int
		id, err := p.UpdateSession(ctx, ContactID(contact), "dev", func(st []byte) (SessionUpdate, error) {
			n := 0
			if st != nil {
				var err error
				if n, err = strconv.Atoi(string(st)); err != nil {
					return SessionUpdate{}, err
				}
			}
			counter = n + 1
			return SessionUpdate{State: []byte(strconv.Itoa(counter)), Message: &Message{Conversation: ConversationID(conv1),
				Direction: Incoming, Sender: ContactID(contact), Body: crashBody(round, i), RemoteID: []byte(fmt.Sprint(round, "-", i))}}, nil
		})
		if err != nil {
			say("error %v", err)
			os.Exit(3)
		}
		say("msg %d %d %d", id, round, i)
		if i%5 == 0 {
			aid, err := p.AddAttachment(ctx, id, AttachmentInfo{Name: "f"}, bytes.NewReader(crashAttachment(round, i)))
			if err != nil {
				say("error %v", err)
				os.Exit(3)
			}
			say("att %d %d %d", aid, round, i)
		}
		if i%7 == 0 {
			ms := make([]Message, 20)
			for j := range ms {
				ms[j] = Message{Conversation: ConversationID(conv2), Direction: Outgoing, Body: crashBody(round, 1000000+i*100+j)}
			}
			ids, err := p.InsertMessages(ctx, ms)
			if err != nil {
				say("error %v", err)
				os.Exit(3)
			}
			for j, id := range ids {
				say("msg %d %d %d", id, round, 1000000+i*100+j)
			}
		}
	}
}

// TestCrashRecovery SIGKILLs a child process that is writing messages (each
// through the atomic ratchet-advance-and-insert step), attachments and
// batches, at random moments; after each kill the profile must open,
// pass PRAGMA integrity_check, and return every message and attachment the
// child reported as committed, with the session state in lockstep with the
// messages stored.
func TestCrashRecovery(t *testing.T) {
	const rounds = 12
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	p, dir := newProfile(t, Options{})
	contact, conv1 := newConversation(t, p, "@crash")
	c2, _ := p.AddContact(ctx, Contact{Handle: "@batch"})
	conv2, _ := p.EnsureConversation(ctx, c2)
	p.Close()

	type ref struct{ round, i int }
	committed := map[int64]ref{}
	attachments := map[int64]ref{}
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %d %d %d %s", crashEnv, round, contact, conv1, conv2.ID, dir))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var kill <-chan time.Time
		var got []string
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if l == "ready" {
					kill = time.After(time.Duration(20+rng.IntN(400)) * time.Millisecond)
				}
				got = append(got, l)
			case <-kill:
				cmd.Process.Signal(syscall.SIGKILL)
				kill = nil
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatal("child hung")
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not by SIGKILL; output: %q", round, err, got)
		}
		n := 0
		for _, l := range got {
			var id int64
			var r ref
			switch {
			case strings.HasPrefix(l, "msg "):
				fmt.Sscanf(l, "msg %d %d %d", &id, &r.round, &r.i)
				committed[id] = r
				n++
			case strings.HasPrefix(l, "att "):
				fmt.Sscanf(l, "att %d %d %d", &id, &r.round, &r.i)
				attachments[id] = r
			case l == "ready" || strings.HasPrefix(l, "=== RUN"):
			default:
				t.Fatalf("round %d: child said %q", round, l)
			}
		}
		t.Logf("round %d: %d messages committed before the kill", round, n)

		// Reopen and check.
		p, err := Open(ctx, dir, Options{Passphrase: testPass})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		var res string
		if err := p.db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
			t.Fatalf("round %d: integrity_check %q %v", round, res, err)
		}
		for id, r := range committed {
			m, err := p.Message(ctx, MessageID(id))
			if err != nil || m.Body != crashBody(r.round, r.i) {
				t.Fatalf("round %d: committed message %d (%v): %q, %v", round, id, r, m.Body, err)
			}
		}
		for id, r := range attachments {
			rc, err := p.OpenAttachment(ctx, AttachmentID(id))
			if err != nil {
				t.Fatalf("round %d: attachment %d: %v", round, id, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(b, crashAttachment(r.round, r.i)) {
				t.Fatalf("round %d: attachment %d differs (%v)", round, id, err)
			}
		}
		// Lockstep: the session advanced exactly once per stored message.
		st, err := p.Session(ctx, contact, "dev")
		if err != nil && n > 0 {
			t.Fatalf("round %d: session: %v", round, err)
		}
		var stored int
		p.db.QueryRow(`SELECT count(*) FROM messages WHERE conversation_id = ?`, int64(conv1)).Scan(&stored)
		if counter, _ := strconv.Atoi(string(st)); counter != stored {
			t.Fatalf("round %d: session counter %d but %d messages stored", round, counter, stored)
		}
		// Unfinished attachment files were swept.
		tmps, _ := filepath.Glob(filepath.Join(dir, attachmentsDir, "*"+attachmentTmpExt))
		if len(tmps) != 0 {
			t.Fatalf("round %d: %d unfinished attachment files left", round, len(tmps))
		}
		p.Close()
	}
	if len(committed) == 0 {
		t.Fatal("no message was ever committed: the test tested nothing")
	}
}
