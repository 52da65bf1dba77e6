// Command sotto-relay runs a Sotto relay node:
//
//	sotto-relay serve --listen ADDR --store DSN [--turn-listen ADDR] [--pow-bits N]
//	                  [--metrics ADDR] [--insecure-loopback] [--tls-cert F --tls-key F | --tls-autocert DOMAIN] …
//	sotto-relay version
//
// Every flag can also be set from the environment as SOTTO_RELAY_<FLAG>
// (upper case, '-' as '_'); a flag on the command line wins. The store is
// "sqlite:PATH" (default) or a "postgres://…" URL. Logs are structured
// (log/slog) and never contain envelope bodies, keys or handles.
//
// It owns process wiring only: flags, listeners, TLS, signals. It never
// imports app/, store/ or calls/.
package main
