// Package wakeorder orders the wake-ups a group commit hands to the
// relay's subscribers: one device's envelopes together, in sequence order,
// so the relay, which starts pushing at a device's first envelope, finds
// the device's whole share of the commit queued and sends it in one
// message.
package wakeorder
