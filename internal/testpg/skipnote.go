package testpg

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// NoteSkipped says, in one line that `go test ./...` shows without -v, that
// the kind of tests named (PostgreSQL, browser) are being skipped and how
// to run them. go test prints nothing of a passing package's output, so
// the line goes to the go command's own standard error (the test binary's
// parent, on Linux through /proc), once per go command however many
// packages skip: the first to skip writes it, and a marker file in the
// temporary directory keeps the others quiet. Elsewhere it goes to the
// test binary's standard error (shown with -v).
func NoteSkipped(kind, hint string) {
	line := fmt.Sprintf("scimbridge: %s tests skipped: %s\n", kind, hint)
	ppid := os.Getppid()
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/comm")
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		fmt.Fprint(os.Stderr, line)
		return
	}
	marker := filepath.Join(os.TempDir(), fmt.Sprintf("scimbridge-skipped-%d-%s", ppid, strings.ToLower(strings.Fields(kind)[0])))
	m, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return // another package of this go command said it already
	}
	m.Close()
	w, err := os.OpenFile("/proc/"+strconv.Itoa(ppid)+"/fd/2", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		fmt.Fprint(os.Stderr, line)
		return
	}
	defer w.Close()
	fmt.Fprint(w, line)
}
