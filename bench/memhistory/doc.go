// Command memhistory makes the history the idle-memory figure is measured
// with (bench/memory.sh): two accounts on a relay, alice and bob, in the
// data folder SOTTO_DATA_DIR, and N text messages of varied length taking
// turns (alice, bob, alice, …) through the relay with both accounts open,
// as a real chat, checked to be all in both profiles before they close.
// Keys go to the OS keyring on the session bus, as the desktop app expects.
package main
