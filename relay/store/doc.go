// Package store defines the relay's storage: one Store interface with two
// implementations, store/sqlite (embedded, the default) and store/postgres
// (many relay nodes on one database). store/storetest is the conformance
// suite both must pass.
//
// What a Store holds is what the relay may know: handle hashes, public keys
// and certificates, opaque prekeys, opaque envelopes, single-use challenges,
// attachment blobs and the relay's own keys. It never holds a handle in
// clear or a user's private key.
//
// Rules: Enqueue returns only after the envelope is durable (committed with
// a flush to disk); implementations batch concurrent calls into one
// transaction (group commit). Never imports app/, store/ (the client's) or
// calls/.
package store
