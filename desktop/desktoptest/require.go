package desktoptest

import (
	"os"
	"testing"
)

// Require skips the test for want missing, or fails it when
// SOTTO_TEST_REQUIRE_SERVICES=1, so make test cannot pass by skipping.
func Require(t testing.TB, want string) {
	t.Helper()
	if os.Getenv("SOTTO_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatalf("missing %s (SOTTO_TEST_REQUIRE_SERVICES=1)", want)
	}
	t.Skipf("missing %s", want)
}
