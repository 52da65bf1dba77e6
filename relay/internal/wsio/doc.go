// Package wsio reads and writes WebSocket messages for the relay and its
// client with fewer copies and syscalls than gorilla/websocket's defaults:
// a message is read into a pooled scratch buffer and copied once into a
// buffer of its exact size, which the caller owns (frames and envelope
// bodies alias it after reading on); a Batch is streamed into the write
// buffer instead of being assembled; a connection's write deadline is
// re-armed only when it has moved by a noticeable part of the timeout.
package wsio
