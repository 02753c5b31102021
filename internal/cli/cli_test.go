package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestInvalidConfigListsEveryProblem(t *testing.T) {
	code, _, stderr := run(t, nil, "serve", "--addr", "nowhere", "--log-level", "chatty", "--public-url", "gopher://x")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"--addr", "--log-level", "--public-url"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %s:\n%s", want, stderr)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, stderr := run(t, nil, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestAPIKeysLifecycle(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"SCIMBRIDGE_DATA_DIR": dataDir}
	// Without a database, it says which one it looked for and how to
	// point it at the server's, and creates nothing; -h touches nothing.
	for _, args := range [][]string{{"apikeys", "create", "--name", "x"}, {"apikeys", "list"}, {"apikeys", "revoke", "key_x"}} {
		code, _, stderr := run(t, env, args...)
		if code == 0 || !strings.Contains(stderr, filepath.Join(dataDir, "scimbridge.db")) || !strings.Contains(stderr, "--data-dir") {
			t.Errorf("%v without a database: exit %d, stderr %q", args, code, stderr)
		}
	}
	for _, args := range [][]string{{"apikeys", "create", "-h"}, {"apikeys", "list", "-h"}, {"apikeys", "-h"}} {
		run(t, env, args...)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("apikeys without a database, or with -h, touched the data directory: %v", err)
	}
	if code, _, stderr := run(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	code, secret, stderr := run(t, env, "apikeys", "create", "--name", "my app")
	if !strings.Contains(stderr, "Using the database "+filepath.Join(dataDir, "scimbridge.db")) {
		t.Errorf("create does not say which database it uses: %q", stderr)
	}
	if code != 0 || !strings.HasPrefix(secret, "scimb_ak_") {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, secret, stderr)
	}
	if !strings.Contains(stderr, "only time") {
		t.Errorf("create does not warn that the key is shown once: %q", stderr)
	}
	code, list, _ := run(t, env, "apikeys", "list")
	if code != 0 || !strings.Contains(list, "my app") || strings.Contains(list, strings.TrimSpace(secret)) {
		t.Fatalf("list: exit %d\n%s", code, list)
	}
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	if code, out, stderr := run(t, env, "apikeys", "revoke", id); code != 0 || !strings.Contains(out, id) {
		t.Fatalf("revoke: exit %d %q %q", code, out, stderr)
	}
	if _, list, _ := run(t, env, "apikeys", "list"); !strings.Contains(list, "revoked") {
		t.Errorf("list after revoke:\n%s", list)
	}
	if code, _, stderr := run(t, env, "apikeys", "create"); code != 2 || !strings.Contains(stderr, "--name") {
		t.Errorf("create without --name: exit %d %q", code, stderr)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	env := map[string]string{"SCIMBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data")}
	for i := 0; i < 2; i++ {
		if code, out, stderr := run(t, env, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
			t.Fatalf("migrate #%d: exit %d %q %q", i, code, out, stderr)
		}
	}
}
