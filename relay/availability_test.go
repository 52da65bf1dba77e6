package relay_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

func TestAvailability(t *testing.T) {
	ctx := context.Background()
	url := relaytest.Serve(t)
	relaytest.NewDevice(t, "alice", 0).Register(t, url)
	c, err := client.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		handle, reason string
	}{
		{"alice", "taken"},
		{"@ALICE", "taken"},
		{"admin", "reserved"},
		{"bob_the_builder", ""},
	} {
		got, err := c.Availability(ctx, handle.MustParse(tc.handle))
		if err != nil {
			t.Fatalf("%s: %v", tc.handle, err)
		}
		if got.Available != (tc.reason == "") || got.Reason != tc.reason {
			t.Errorf("%s: %+v, want reason %q", tc.handle, got, tc.reason)
		}
	}
	// Malformed queries are typed errors, not crashes.
	for _, q := range []string{"", "?handle=zz&skeleton=zz", "?handle=" + handle.MustParse("x_y_z").Hash().String()} {
		resp, err := http.Get(url + api.PathAvailability + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET availability%s = %d, want 400", q, resp.StatusCode)
		}
	}
}
