//go:build unix

package app_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestREADMEWalkthrough runs the README's first-run walk-through as
// written: every sh block between its walk-through markers, in order, in
// one bash process from the repository's root. It builds the binary,
// starts a server and acts as the IdP. It runs twice against the same data
// directory, as an operator who runs it again would; only PORT and
// DATA_DIR come from the test (the README reads both from the
// environment).
func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("the README walk-through builds the binary; skipped with -short")
	}
	for _, tool := range []string{"bash", "curl", "sed", "tr", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the README walk-through: %v", tool, err)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile(`(?s)<!-- walk-through:[^>]*-->(.*)<!-- /walk-through -->`).FindStringSubmatch(string(readme))
	if section == nil {
		t.Fatal("README.md has no walk-through markers (<!-- walk-through: … --> … <!-- /walk-through -->)")
	}
	var script strings.Builder
	for _, b := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section[1], -1) {
		script.WriteString(b[1] + "\n")
	}
	if !strings.Contains(script.String(), "go build") || !strings.Contains(script.String(), "kill $SERVER") {
		t.Fatalf("the walk-through no longer builds the binary or stops the server:\n%s", script.String())
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	var firstDir string
	for run := 1; run <= 2; run++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		base := "http://127.0.0.1:" + strconv.Itoa(port)

		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script.String())
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "DATA_DIR="+dataDir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		// Whatever happens, the server the script started goes with it.
		done := make(chan struct{})
		t.Cleanup(func() { <-done })
		var out []byte
		go func() {
			defer close(done)
			out, err = cmd.CombinedOutput()
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Fatalf("run %d: the walk-through did not finish in 5 minutes:\n%s", run, out)
		}
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // a server left by a failed step
		}
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(dataDir, "server.log"))
			t.Fatalf("run %d of the walk-through failed: %v\n%s\nserver log:\n%s", run, err, out, log)
		}
		text := string(out)
		for _, c := range []struct{ what, want string }{
			{"the server is ready", `{"status":"ready"}`},
			{"the endpoint URL is printed", "SCIM base URL: " + base + "/scim/v2/dir_"},
			{"the token is printed", "Bearer token:  scimb_dt_"},
			{"the case-insensitive filter finds the user", `"totalResults":1`},
			{"the user reads back deactivated", `"active":false`},
		} {
			if !strings.Contains(text, c.want) {
				t.Errorf("run %d: %s: output lacks %q:\n%s", run, c.what, c.want, text)
			}
		}
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if last := lines[len(lines)-1]; last != "204" {
			t.Errorf("run %d: DELETE printed %q, want 204", run, last)
		}
		// The second run finds the first run's organization and directory.
		m := regexp.MustCompile(`/scim/v2/(dir_[a-z0-9]+)`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("run %d printed no directory", run)
		}
		if run == 1 {
			firstDir = m[1]
		} else if m[1] != firstDir {
			t.Errorf("run 2 used directory %s, want the first run's %s", m[1], firstDir)
		}
	}
}
