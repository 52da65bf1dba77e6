package app

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseProfile(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Profile
		wantErr bool
	}{
		{"", DefaultProfile, false},
		{"alice", "alice", false},
		{"bob_2", "bob_2", false},
		{"Alice", "", true},
		{"a/b", "", true},
		{"../x", "", true},
		{"é", "", true},
		{strings.Repeat("a", 33), "", true},
	} {
		got, err := ParseProfile(tc.in)
		if (err != nil) != tc.wantErr {
			t.Fatalf("ParseProfile(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
		}
		if tc.wantErr && !errors.Is(err, ErrInvalidProfile) {
			t.Fatalf("ParseProfile(%q) error = %v, want ErrInvalidProfile", tc.in, err)
		}
		if got != tc.want {
			t.Fatalf("ParseProfile(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestProfileDataDirAndInstanceID(t *testing.T) {
	root := t.TempDir()
	t.Setenv("SOTTO_DATA_DIR", root)
	a, b := Profile("alice"), Profile("bob")
	da, err := a.DataDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "profiles", "alice"); da != want {
		t.Fatalf("DataDir = %q, want %q", da, want)
	}
	db, _ := b.DataDir()
	if da == db || a.InstanceID() == b.InstanceID() {
		t.Fatal("two profiles share a data dir or an instance id")
	}
}

func TestInfoAboutAndReady(t *testing.T) {
	var logs bytes.Buffer
	info := NewInfo("alice", "/data/alice", slog.New(slog.NewTextHandler(&logs, nil)))
	got := info.About()
	if got.Version != version || got.Commit != commit || got.Profile != "alice" || got.DataDir != "/data/alice" {
		t.Fatalf("About() = %+v", got)
	}
	if got.GoVersion != runtime.Version() || got.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Fatalf("About() platform = %+v", got)
	}
	if strings.Contains(logs.String(), "ui ready") {
		t.Fatal("logged ui ready before UIReady")
	}
	info.UIReady()
	info.UIReady()
	if n := strings.Count(logs.String(), "ui ready"); n != 1 {
		t.Fatalf("logged ui ready %d times, want 1:\n%s", n, logs.String())
	}
}
