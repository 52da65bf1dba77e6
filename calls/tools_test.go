package calls

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sotto-im/sotto/calls/media"
)

// needTool returns the path of an external program, or skips the test
// without it (fails under SOTTO_TEST_REQUIRE_SERVICES=1).
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s not installed but SOTTO_TEST_REQUIRE_SERVICES=1 (apt install it; see scripts/setup.sh)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// speechWAV speaks text with espeak-ng and resamples it with sox to the
// calls format (48 kHz mono 16-bit); it returns the file and its samples.
func speechWAV(t testing.TB, text string) (string, []int16) {
	t.Helper()
	espeak, sox := needTool(t, "espeak-ng"), needTool(t, "sox")
	dir := t.TempDir()
	raw, wav := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "in.wav")
	if out, err := exec.Command(espeak, "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, out)
	}
	if out, err := exec.Command(sox, raw, "-r", "48000", "-c", "1", "-b", "16", wav).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v: %s", err, out)
	}
	pcm, err := media.ReadWAV(wav)
	if err != nil {
		t.Fatal(err)
	}
	return wav, pcm
}
