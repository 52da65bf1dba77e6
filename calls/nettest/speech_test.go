package nettest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// speechText is about eight seconds of espeak-ng speech with pauses; the sources loop it.
const speechText = "The quick brown fox jumps over the lazy dog. " +
	"Sotto calls carry speech across a lossy network, one packet every twenty milliseconds. " +
	"Pack my box with five dozen liquor jugs."

var speech struct {
	once sync.Once
	dir  string
	path string
	err  string
}

// speechWAV is the speech every call side plays, made once per test binary with espeak-ng and
// resampled by sox to 48 kHz mono 16-bit.
func speechWAV(t testing.TB) string {
	t.Helper()
	espeak, sox := needTool(t, "espeak-ng"), needTool(t, "sox")
	speech.once.Do(func() {
		dir, err := os.MkdirTemp("", "sotto-nettest-speech-")
		if err != nil {
			speech.err = err.Error()
			return
		}
		speech.dir = dir
		raw, wav := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "in.wav")
		if out, err := exec.Command(espeak, "-w", raw, speechText).CombinedOutput(); err != nil {
			speech.err = "espeak-ng: " + err.Error() + ": " + string(out)
			return
		}
		if out, err := exec.Command(sox, raw, "-r", "48000", "-c", "1", "-b", "16", wav).CombinedOutput(); err != nil {
			speech.err = "sox: " + err.Error() + ": " + string(out)
			return
		}
		speech.path = wav
	})
	if speech.err != "" {
		t.Fatal(speech.err)
	}
	return speech.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if speech.dir != "" {
		os.RemoveAll(speech.dir)
	}
	os.Exit(code)
}
