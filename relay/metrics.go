package relay

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/sotto-im/sotto/relay/api"
)

// metrics are counters and gauges exported in Prometheus text format on a
// separate listener. They never carry a label with user data.
type metrics struct {
	requests, registrations, lookups, sent, pushed, acks, connects counter
	rateLimited, expired, turnCreds, blobsUp, blobsDown            counter

	mu     sync.Mutex
	errors map[api.Code]int64
}

func (m *metrics) countError(c api.Code) {
	m.mu.Lock()
	if m.errors == nil {
		m.errors = map[api.Code]int64{}
	}
	m.errors[c]++
	m.mu.Unlock()
}

// MetricsHandler serves the Prometheus text exposition format.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		m := &s.metrics
		counter := func(name, help string, v int64) {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
		}
		gauge := func(name, help string, v int64) {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
		}
		gauge("sotto_relay_connections", "Open WebSocket connections on this node.", s.hub.total.Load())
		counter("sotto_relay_http_requests_total", "HTTP requests served.", m.requests.Load())
		counter("sotto_relay_registrations_total", "Handles registered.", m.registrations.Load())
		counter("sotto_relay_lookups_total", "Handle lookups answered.", m.lookups.Load())
		counter("sotto_relay_envelopes_sent_total", "Envelopes durably accepted.", m.sent.Load())
		counter("sotto_relay_envelopes_pushed_total", "Envelopes pushed over WebSockets.", m.pushed.Load())
		counter("sotto_relay_acks_total", "Acks received.", m.acks.Load())
		counter("sotto_relay_envelopes_expired_total", "Envelopes deleted by TTL.", m.expired.Load())
		counter("sotto_relay_ws_connects_total", "WebSocket connections accepted.", m.connects.Load())
		counter("sotto_relay_rate_limited_total", "Requests refused by a rate limit.", m.rateLimited.Load())
		counter("sotto_relay_turn_credentials_total", "TURN credentials issued.", m.turnCreds.Load())
		counter("sotto_relay_attachments_uploaded_total", "Attachment uploads.", m.blobsUp.Load())
		counter("sotto_relay_attachments_downloaded_total", "Attachment downloads.", m.blobsDown.Load())
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if st, err := s.st.Stats(ctx); err == nil {
			gauge("sotto_relay_queued_envelopes", "Envelopes waiting in queues (all nodes).", st.Envelopes)
			gauge("sotto_relay_accounts", "Registered accounts.", st.Accounts)
			gauge("sotto_relay_devices", "Registered devices.", st.Devices)
		}
		m.mu.Lock()
		codes := make([]string, 0, len(m.errors))
		for c := range m.errors {
			codes = append(codes, string(c))
		}
		sort.Strings(codes)
		fmt.Fprintf(w, "# HELP sotto_relay_errors_total Errors answered, by code.\n# TYPE sotto_relay_errors_total counter\n")
		for _, c := range codes {
			fmt.Fprintf(w, "sotto_relay_errors_total{code=%q} %d\n", c, m.errors[api.Code(c)])
		}
		m.mu.Unlock()
	})
}
