// Command scimbridge is a self-hosted SCIM 2.0 directory-sync service.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/scimbridge/scimbridge/internal/cli"
)

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets
// another (docs/operations.md, "Memory"). Near it the collector runs more
// often and gives freed memory back to the OS sooner, so a burst (a role
// mapping change for 200,000 users) does not leave the process large; it
// never fails an allocation, and the runtime caps the extra collection
// work when the live heap itself is larger.
const defaultMemoryLimit = 64 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
