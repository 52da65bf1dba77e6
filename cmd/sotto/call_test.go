package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/calls/media"
)

// speechWAV makes a few seconds of 48 kHz mono speech with espeak-ng and sox.
func speechWAV(t *testing.T, text string) string {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
				t.Fatalf("%s is missing (scripts/setup.sh installs it)", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
	dir := t.TempDir()
	raw, out := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "speech.wav")
	if b, err := exec.Command("espeak-ng", "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, b)
	}
	if b, err := exec.Command("sox", raw, "-r", "48000", "-c", "1", "-b", "16", out).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, b)
	}
	return out
}

// TestCLICallBetweenProcesses: `sotto answer --auto` and `sotto call` as
// separate processes, signaling through the relay's encrypted channel,
// media over loopback: both print the call's states and a summary, and the
// callee's recording holds the caller's speech.
func TestCLICallBetweenProcesses(t *testing.T) {
	speech := speechWAV(t, "Hello Bob, this is Alice calling from the command line. Can you hear me?")
	bin := t.TempDir()
	sotto := buildBinary(t, bin, "./cmd/sotto", "sotto")
	relayURL := startRelay(t, buildBinary(t, bin, "./cmd/sotto-relay", "sotto-relay"))
	profiles := t.TempDir()
	env := append(os.Environ(), "SOTTO_PASSPHRASE=cli test passphrase", "SOTTO_RELAY="+relayURL, "SOTTO_TEST_LOOPBACK_CALLS=1")
	run := func(profile string, args ...string) string {
		t.Helper()
		cmd := exec.Command(sotto, append([]string{"--profile", filepath.Join(profiles, profile)}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sotto %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("alice", "init", "--handle", "alice")
	run("bob", "init", "--handle", "bob")
	// Calls ring only between accepted contacts.
	run("alice", "send", "@bob", "calling you now")
	run("bob", "listen", "--for", "2s")
	run("bob", "send", "@alice", "go ahead")
	run("alice", "listen", "--for", "2s")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	recording := filepath.Join(t.TempDir(), "bob-heard.wav")
	video := filepath.Join(t.TempDir(), "bob-saw.y4m")
	answer := exec.CommandContext(ctx, sotto, "--profile", filepath.Join(profiles, "bob"), "--json",
		"answer", "--auto", "--record-audio", recording, "--record-video", video)
	answer.Env = env
	answer.Stderr = os.Stderr
	pipe, err := answer.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := answer.Start(); err != nil {
		t.Fatal(err)
	}
	bobLines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			bobLines <- sc.Text()
		}
		close(bobLines)
	}()
	time.Sleep(2 * time.Second) // bob's process signs in and starts receiving
	out := run("alice", "--json", "call", "@bob", "--audio-in", speech, "--video", "--video-in", "test", "--for", "6s")
	var aliceEnd callSummary
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &aliceEnd); err != nil {
		t.Fatalf("alice's summary: %v\n%s", err, out)
	}
	if aliceEnd.Call.State != "ended" || aliceEnd.Call.EndReason != "hung up" || aliceEnd.Seconds < 5 ||
		aliceEnd.Stats.Path != "direct" || aliceEnd.Stats.BytesSent == 0 {
		t.Fatalf("alice's call: %+v\n%s", aliceEnd, out)
	}
	var states []string
	var bobEnd callSummary
	for l := range bobLines {
		var v struct {
			State string `json:"state"`
		}
		if json.Unmarshal([]byte(l), &v) == nil && v.State != "" {
			states = append(states, v.State)
		}
		if json.Unmarshal([]byte(l), &bobEnd) == nil && bobEnd.Call.State == "ended" {
			break
		}
	}
	if err := answer.Wait(); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if strings.Join(states, ",") != "incoming,connecting,connected" && !strings.HasPrefix(strings.Join(states, ","), "incoming,") {
		t.Fatalf("bob's states %v", states)
	}
	if bobEnd.Call.EndReason != "hung up" || bobEnd.Stats.AudioPackets < 100 || bobEnd.Stats.VideoFrames < 30 {
		t.Fatalf("bob's call: %+v", bobEnd)
	}
	if st, err := os.Stat(video); err != nil || st.Size() < 30*640*480*3/2 {
		t.Fatalf("bob's video recording: %v", err)
	}
	heard, err := media.ReadWAV(recording)
	if err != nil {
		t.Fatalf("bob's recording: %v", err)
	}
	sent, err := media.ReadWAV(speech)
	if err != nil {
		t.Fatal(err)
	}
	loud := 0
	for _, s := range heard {
		if s > 2000 || s < -2000 {
			loud++
		}
	}
	t.Logf("bob recorded %.1f s (%d loud samples); alice sent %.1f s", float64(len(heard))/48000, loud, float64(len(sent))/48000)
	if len(heard) < 4*48000 || loud < 48000/10 {
		t.Fatalf("bob's recording has %d samples, %d loud: the speech did not arrive", len(heard), loud)
	}
	// Both conversations log the call.
	for _, who := range []string{"alice", "bob"} {
		hist := run(who, "--json", "history", map[string]string{"alice": "@bob", "bob": "@alice"}[who])
		if !strings.Contains(hist, `"callLog":{`) {
			t.Fatalf("%s's history has no call log entry:\n%s", who, hist)
		}
	}
}
