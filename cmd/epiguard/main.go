// Command epiguard runs EpiGuard: the web UI, the API and the tools around
// them. Everything happens in package cli; main only connects it to the
// process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"epiguard/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
