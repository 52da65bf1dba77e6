// Package bridge carries decoded video from the call's media pipeline to the
// webview: a loopback-only WebSocket server that the UI connects to with a
// per-launch secret, once per call and stream ("local" self-view, "remote").
//
// Why it exists: Linux's WebKitGTK has no WebRTC, so video is decoded in Go
// (calls/media) and only pixels cross into the page. docs/CALLS-VIDEO.md has the
// measurements that chose raw I420 frames over JPEG and WebCodecs.
//
// Rules: the bridge listens on 127.0.0.1 and refuses any other address; a
// connection must come from one of the app's origins and present the token in
// its first message (never in the URL, which ends up in logs); the token never
// appears in logs or errors. A slow page loses frames: WriteVideo never waits
// for a reader. The bridge imports calls/media and nothing else of ours.
package bridge
