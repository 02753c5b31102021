// Command scimbridge is a self-hosted SCIM 2.0 directory-sync service.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/scimbridge/scimbridge/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
