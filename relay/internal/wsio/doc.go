// Package wsio reads WebSocket messages for the relay and its client
// without io.ReadAll's growing copies: a message is read into a pooled
// scratch buffer and copied once into a buffer of its exact size, which
// the caller owns (frames and envelope bodies alias it after reading on).
package wsio
