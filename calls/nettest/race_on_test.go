//go:build race

package nettest

// raceEnabled: the call processes are this binary, race-instrumented and several times slower.
const raceEnabled = true
