// Package nettest runs real calls across an impaired network and measures them. It holds tests
// only: each test makes two Linux network namespaces joined by a private link, shapes that link
// (random loss with jitter, an outage, a tc tbf rate cap) and runs each side of a call as its own
// process inside its namespace — a calls.Manager with calls/media sources and sinks — while the
// test relays the signaling between the two processes over their stdin and stdout. The figures
// are in docs/CALLS-NETWORK.md.
//
// The tests need root, ip and tc (iproute2), espeak-ng and sox; without them they skip, or fail
// when SOTTO_TEST_REQUIRE_SERVICES=1. They use no address outside the namespaces they create and
// delete.
package nettest
