// Package relay is the server that forwards what it cannot read: handles,
// device authentication, prekeys, durable envelope queues, live push over
// WebSocket, TURN credentials and the key transparency log, on an embedded
// SQLite store or on PostgreSQL.
//
// Rules: the relay holds only public keys, handle hashes and opaque
// envelopes; it never sees a private key of a user. It never imports app/,
// store/ or calls/.
package relay
