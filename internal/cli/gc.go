package cli

import "runtime/debug"

// The garbage collector's defaults suit a program whose heap is most of
// its memory. A serving EpiGuard's live heap is small — caches, prepared statements
// and the requests in flight — and every request allocates, so at the
// default GOGC=100 the server collects often and spends a sixth of the CPU
// of a check-in on it (epiguard bench checkin: 0.347 ms of process CPU per
// check-in at GOGC=100, 0.302 ms at 400). Letting the heap grow to five
// times its live size between collections buys that CPU back; the soft
// limit makes the collector work harder instead when the heap nears it,
// which keeps the process within SPEC §7.1's 300 MB whatever the load.
const (
	gcPercent   = 400
	memoryLimit = 224 << 20
)

// tuneGC applies those settings, once the process is about to serve,
// unless the operator set GOGC or GOMEMLIMIT, which the runtime has
// already applied and which win. Batch work keeps Go's defaults: an import
// of a large roster legitimately holds more than the limit, and a
// collector chasing a soft limit it cannot meet would take half the CPU.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
