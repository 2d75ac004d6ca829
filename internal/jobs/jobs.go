// Package jobs runs EpiGuard's background work: delivering the outbox,
// reminding responsible persons of missing check-ins, and recomputing
// statuses as days pass. Jobs are plain functions of (ctx, now), idempotent,
// so a restart or a second app node repeats nothing that was done.
package jobs

import (
	"context"
	"log/slog"
	"time"
)

// Job is one piece of periodic work.
type Job struct {
	Name string
	// Every runs the job at this interval.
	Every time.Duration
	Run   func(ctx context.Context, now time.Time) error
}

// Scheduler runs jobs until its context ends.
type Scheduler struct {
	Jobs []Job
	Log  *slog.Logger
	Now  func() time.Time
}

// Run starts every job on its own ticker and returns when ctx is done and
// the jobs in progress have finished.
func (s *Scheduler) Run(ctx context.Context) {
	done := make(chan struct{})
	for _, j := range s.Jobs {
		go func() {
			defer func() { done <- struct{}{} }()
			t := time.NewTicker(j.Every)
			defer t.Stop()
			for {
				s.runOnce(ctx, j)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	for range s.Jobs {
		<-done
	}
}

func (s *Scheduler) runOnce(ctx context.Context, j Job) {
	if ctx.Err() != nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("job panicked", "job", j.Name, "panic", p)
		}
	}()
	if err := j.Run(ctx, s.Now()); err != nil && ctx.Err() == nil {
		s.Log.Error("job failed", "job", j.Name, "err", err)
	}
}
