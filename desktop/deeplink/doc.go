// Package deeplink parses the links that open Sotto from outside: the
// sotto:// scheme (sotto://chat/@bob, sotto://call/@bob, sotto://call/@bob?video=1)
// and the web form people paste (https://sotto.im/@bob).
//
// Links come from anywhere (web pages, other apps, the command line), so the
// parser is strict: a known action, a valid handle, one optional query
// parameter, a length cap. It never accepts a link that would do anything by
// itself: every link only says what to show (a chat, or a pre-call screen with
// a Call button the person presses). It does no I/O and never logs; Describe
// makes a rejected link safe to log.
package deeplink
