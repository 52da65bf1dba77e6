package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sotto-im/sotto/app"
)

func TestInfoJSON(t *testing.T) {
	root := t.TempDir()
	t.Setenv("SOTTO_DATA_DIR", root)
	var out, errOut bytes.Buffer
	if err := run([]string{"info", "-profile", "bob", "-json"}, &out, &errOut); err != nil {
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

func TestVersionAndErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"version"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "sotto ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	for _, args := range [][]string{nil, {"nope"}, {"info", "-profile", "Bad/Name"}} {
		if err := run(args, &out, &errOut); err == nil {
			t.Fatalf("run(%q) succeeded", args)
		}
	}
}
