//go:build race

package bridge

// raceEnabled: -race slows image/jpeg about tenfold; the Chromium test shrinks its frames.
const raceEnabled = true
