package e2e

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestCallsUIInChromium drives a video call between two real Sotto clients
// through a real relay from Chromium (frontend/e2e/calls.e2e.ts): Alice calls
// @bob from the conversation header, Bob accepts with video on the overlay,
// both see the connected state and each other's test-pattern video drawn
// from their app's loopback media bridge, then Bob hangs up and the call ends
// and is logged on both sides. SOTTO_FAKE_MEDIA=1 gives each app a
// frame-numbered test pattern as its camera (there is none here).
func TestCallsUIInChromium(t *testing.T) {
	root, app, relayURL := devAppAndRelay(t)

	display := startXvfb(t)
	urls := map[string]string{}
	for _, who := range []string{"alice", "bob"} {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		env := appEnv(t, display, "assetdir="+filepath.Join(root, "frontend", "dist"), "devserver="+addr, "SOTTO_FAKE_MEDIA=1")
		logs, _ := startDevApp(t, app, env, "--profile", "calls_"+who, "--relay", relayURL)
		if err := logs.waitFor("ui ready", 90*time.Second); err != nil {
			t.Fatalf("%s's window never reported ready: %v\n%s", who, err, logs.String())
		}
		waitHTTP(t, "http://"+addr+"/", 30*time.Second)
		urls[who] = "http://" + addr + "/"
	}

	runVitest(t, root, "e2e/calls.e2e.ts",
		"SOTTO_CALLER_URL="+urls["alice"],
		"SOTTO_CALLEE_URL="+urls["bob"],
	)
}
