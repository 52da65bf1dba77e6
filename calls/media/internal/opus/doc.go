// Package opus wraps libopus for 48 kHz mono voice: an encoder with in-band FEC and DTX, and a decoder
// with packet-loss concealment and FEC recovery.
//
// It links the static libopus that github.com/pion/mediadevices bundles for Linux, Windows and macOS
// (imported below only for its link flags), so no system package is needed; the headers in include/
// are the ones shipped with that library (BSD licence in include/COPYING). Building with
// `-tags dynamic` makes mediadevices, and so this package, link the system libopus via pkg-config.
package opus
