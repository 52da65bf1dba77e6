// Package app is Sotto's backend: the services (Info, and later Chats,
// Contacts, Calls, Settings) that the desktop UI calls through Wails bindings
// and that the headless CLI and the tests call directly.
//
// Rules: app is the only package that knows about more than one of crypto/,
// store/, calls/ and the relay client. It never imports Wails: main.go binds
// its services, so everything here runs and is tested without a window.
package app
