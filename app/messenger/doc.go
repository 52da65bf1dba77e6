// Package messenger is the engine behind Sotto's chats: it owns this device's
// account (identity, device keys, prekeys, relay registration), sets up and
// keeps end-to-end sessions with contacts' devices, and sends and receives
// content messages through the relay — sealed, ratcheted, and stored in the
// encrypted profile in the same transaction as the ratchet step.
//
// Rules: it is the one place where crypto/, store/ and the relay client meet
// for messaging. It does not know about Wails or the UI: app/ wraps it in the
// services the UI and the CLI call, and it reports what happens as Events.
// Message text, keys and handles never go to its logs.
package messenger
