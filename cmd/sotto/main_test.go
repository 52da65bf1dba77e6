package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sotto-im/sotto/app"
)

func TestInfoJSON(t *testing.T) {
	root := t.TempDir()
	t.Setenv("SOTTO_DATA_DIR", root)
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--profile", "bob", "--json", "info"}, &out, &errOut); err != nil {
		t.Fatalf("info: %v (%s)", err, errOut.String())
	}
	var got app.About
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("decode %q: %v", out.String(), err)
	}
	if got.Profile != "bob" || got.DataDir != filepath.Join(root, "profiles", "bob") || got.Version == "" {
		t.Fatalf("info = %+v", got)
	}
}

func TestProfileDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "some", "where")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--profile", dir, "--json", "info"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var got app.About
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.DataDir != dir {
		t.Fatalf("info with a directory profile = %+v, %v", got, err)
	}
}

func TestVersionAndErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	ctx := context.Background()
	if err := run(ctx, []string{"version"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "sotto ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	for _, args := range [][]string{nil, {"nope"}, {"init"}, {"--bogus"}} {
		if err := run(ctx, args, &out, &errOut); !errors.Is(err, errUsage) {
			t.Fatalf("run(%q) = %v, want a usage error", args, err)
		}
	}
	if err := run(ctx, []string{"--profile", "Bad Name", "info"}, &out, &errOut); !errors.Is(err, app.ErrInvalidProfile) {
		t.Fatalf("bad profile: %v", err)
	}
	t.Setenv("SOTTO_DATA_DIR", t.TempDir())
	if err := run(ctx, []string{"contacts"}, &out, &errOut); err == nil {
		t.Fatal("contacts without an account succeeded")
	}
}
