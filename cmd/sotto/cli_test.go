package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildBinary builds a command of this module into dir.
func buildBinary(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = filepath.Join("..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// startRelay runs sotto-relay on a free loopback port and returns its URL.
func startRelay(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--insecure-loopback",
		"--store", "sqlite:"+filepath.Join(t.TempDir(), "relay.db"),
		"--pow-bits", "1", "--pow-memory", "8", "--pow-time", "1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("relay printed no address: %v", err)
	}
	_, url, ok := strings.Cut(strings.TrimSpace(line), " on ")
	if !ok {
		t.Fatalf("relay said %q", line)
	}
	return url
}

// TestCLITwoProfilesThroughRelay runs the relay and two profiles as separate
// processes: both create accounts, Alice writes, Bob's listen prints it, Bob
// answers, both histories agree, search finds a word, safety numbers match.
func TestCLITwoProfilesThroughRelay(t *testing.T) {
	bin := t.TempDir()
	sotto := buildBinary(t, bin, "./cmd/sotto", "sotto")
	relayURL := startRelay(t, buildBinary(t, bin, "./cmd/sotto-relay", "sotto-relay"))
	profiles := t.TempDir()
	env := append(os.Environ(), "SOTTO_PASSPHRASE=cli test passphrase", "SOTTO_RELAY="+relayURL)

	cli := func(profile string, args ...string) string {
		t.Helper()
		cmd := exec.Command(sotto, append([]string{"--profile", filepath.Join(profiles, profile)}, args...)...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("sotto %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return string(out)
	}
	cli("alice", "init", "--handle", "alice")
	cli("bob", "init", "--handle", "bob", "--relay", relayURL)

	// Bob listens (as a process) while Alice writes.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	listen := exec.CommandContext(ctx, sotto, "--profile", filepath.Join(profiles, "bob"), "--json", "listen", "--for", "40s")
	listen.Env = env
	pipe, err := listen.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan listenLine, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			var l listenLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				got <- l
			}
		}
	}()
	out := cli("alice", "send", "@bob", "the", "owl", "flies", "at", "midnight")
	if !strings.Contains(out, "sent to @alice") && !strings.Contains(out, "sent to @bob") {
		t.Fatalf("send said %q", out)
	}
	deadline := time.After(30 * time.Second)
	for received := false; !received; {
		select {
		case l := <-got:
			received = l.Message != nil && l.Message.Body == "the owl flies at midnight" && l.Handle == "alice"
		case <-deadline:
			t.Fatal("bob's listen never printed alice's message")
		}
	}
	cancel()
	_ = listen.Wait()
	wg.Wait()

	cli("bob", "send", "@alice", "received, the owl is home")
	var hist []struct {
		Body     string `json:"body"`
		Outgoing bool   `json:"outgoing"`
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		// Alice's profile receives while a command runs: history opens it,
		// drains the queue briefly, and prints.
		cli("alice", "listen", "--for", "1s")
		if err := json.Unmarshal([]byte(cli("alice", "--json", "history", "@bob")), &hist); err != nil {
			t.Fatal(err)
		}
		if len(hist) == 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(hist) != 2 || hist[0].Body != "the owl flies at midnight" || !hist[0].Outgoing ||
		hist[1].Body != "received, the owl is home" || hist[1].Outgoing {
		t.Fatalf("alice's history: %+v", hist)
	}
	if s := cli("alice", "search", "owl"); strings.Count(s, "owl") != 2 {
		t.Fatalf("search owl: %q", s)
	}
	an := strings.Fields(cli("alice", "safety-number", "@bob"))
	bn := strings.Fields(cli("bob", "safety-number", "@alice"))
	if len(an) < 12 || strings.Join(an[:12], "") != strings.Join(bn[:12], "") {
		t.Fatalf("safety numbers differ: %q vs %q", an, bn)
	}
	if out := cli("bob", "verify", "@alice", strings.Join(an[:12], " ")); !strings.Contains(out, "verified") {
		t.Fatalf("verify: %q", out)
	}
	if c := cli("bob", "contacts"); !strings.Contains(c, "verified") {
		t.Fatalf("contacts after verify: %q", c)
	}

	// A file, from one process to another, saved and compared byte for byte.
	file := filepath.Join(t.TempDir(), "notes.txt")
	payload := strings.Repeat("a file sent through sotto\n", 20000)
	if err := os.WriteFile(file, []byte(payload), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("alice", "send-file", "@bob", file, "my", "notes")
	var bobHist []struct {
		Body        string `json:"body"`
		Attachments []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"attachments"`
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		cli("bob", "listen", "--for", "1s")
		if err := json.Unmarshal([]byte(cli("bob", "--json", "history", "@alice")), &bobHist); err != nil {
			t.Fatal(err)
		}
		if n := len(bobHist); n > 0 && len(bobHist[n-1].Attachments) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob never got the file: %+v", bobHist)
		}
	}
	last := bobHist[len(bobHist)-1]
	if last.Body != "my notes" || last.Attachments[0].Name != "notes.txt" || last.Attachments[0].Size != int64(len(payload)) {
		t.Fatalf("received %+v", last)
	}
	saved := filepath.Join(t.TempDir(), "saved.txt")
	cli("bob", "save", strconv.FormatInt(last.Attachments[0].ID, 10), saved)
	if b, err := os.ReadFile(saved); err != nil || string(b) != payload {
		t.Fatalf("saved file differs (%v)", err)
	}
}
