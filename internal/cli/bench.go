package cli

import "context"

// bench runs a benchmark command (SPEC §4.1, §7.1).
func (e *env) bench(ctx context.Context, args []string) error {
	return usagef("usage: epiguard bench checkin [--duration 10s]")
}
