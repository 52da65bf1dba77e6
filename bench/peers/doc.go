// Package peers benchmarks other Double Ratchet implementations so Sotto's
// numbers can be read against them (docs/PERFORMANCE.md, section crypto).
//
// It is its own module: the product module never imports it, and the
// GPL-licensed code it pulls in (go.mau.fi/libsignal) stays here.
package peers
