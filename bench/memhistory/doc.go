// Command memhistory makes the history the idle-memory figure is measured
// with (bench/memory.sh): two accounts on a relay, alice and bob, in the
// data folder SOTTO_DATA_DIR, and N text messages of varied length from
// alice to bob (bob stays closed, so alice's queue stays empty), checked
// to be all in alice's profile. Keys go to the OS keyring on the session
// bus, as the desktop app expects.
package main
