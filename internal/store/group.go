package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
)

// Group commit: on SQLite every durable commit costs an fsync, and there is
// one writer. Check-ins arriving together are therefore written in one
// transaction and acknowledged only after the shared commit; one failing
// request does not undo the others (see commitGroup).
// PostgreSQL batches its own WAL flushes, so there each request keeps its
// transaction.
//
// Requests of a group also share the writes to rows many of them touch:
// each adds its changes to the daily counts of its unit to a writeBatch,
// and the group writes the sums once, just before the commit. A class
// checking in together then costs one counter update instead of one per
// pupil.

// maxGroup bounds a group, so latency stays low under any load.
const maxGroup = 128

type groupReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx, w *writeBatch) error
	done chan error
}

// writeBatch collects the changes to shared rows of the requests of one
// transaction, to be written by flush before it commits.
type writeBatch struct {
	counts map[countKey][]int
}

// merge adds the changes of o, a request that succeeded, to w.
func (w *writeBatch) merge(o *writeBatch) {
	for k, d := range o.counts {
		w.addCounts(k, d)
	}
}

// flush writes the collected changes in tx.
func (db *DB) flush(ctx context.Context, tx *sql.Tx, w *writeBatch) error {
	return db.writeCounts(ctx, tx, w.counts)
}

// startGroupCommitter starts the writer goroutine of a SQLite store.
func (db *DB) startGroupCommitter() {
	db.group = make(chan groupReq)
	db.groupDone = make(chan struct{})
	go db.groupLoop()
}

func (db *DB) groupLoop() {
	defer close(db.groupDone)
	for first := range db.group {
		batch := []groupReq{first}
		// Take whatever else is already waiting, without waiting for more:
		// under light load a request commits alone and at once. Before
		// giving up, let the other goroutines run once: under load some
		// are a few microseconds from joining, and each request that
		// joins shares a commit (an fsync and the writing of the pages)
		// instead of waiting for the next one. With nothing else to run,
		// the yield returns at once.
		yielded := false
	drain:
		for len(batch) < maxGroup {
			select {
			case r, ok := <-db.group:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				if yielded {
					break drain
				}
				yielded = true
				runtime.Gosched()
			}
		}
		db.commitGroup(batch)
	}
}

// The savepoint statements of a group: prepared once, like the rest of
// the check-in path (stmts.go).
const (
	sqlSavepoint = `SAVEPOINT req`
	sqlRelease   = `RELEASE req`
	sqlRollback  = `ROLLBACK TO req`
)

// refusedError is a request's error returned before it wrote anything:
// the group it is in need not be undone for it.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// refused marks err, returned by a request's fn, as returned before the
// request wrote anything.
func refused(err error) error { return &refusedError{err} }

// requestErr is the error a request's caller hears: err without the
// refused mark.
func requestErr(err error) error {
	if r, ok := err.(*refusedError); ok {
		return r.err
	}
	return err
}

// errUndoGroup ends a group's transaction that must be run again with a
// savepoint per request.
var errUndoGroup = errors.New("a request of the group failed")

// commitGroup writes a group in one transaction. Requests rarely fail
// once they have started writing, so it first runs them all without
// savepoints, which cost two statements each. When one fails that way
// (not refused before writing), its partial writes cannot be told apart,
// so the whole transaction is undone and the group runs again with a
// savepoint around each request. A request's fn must therefore be safe to
// run again: only the last run's writes and answer count.
func (db *DB) commitGroup(batch []groupReq) {
	// The group's statements do not watch the requests' contexts: a
	// request in the group runs to its end, and a caller that gave up
	// simply does not hear the answer. Watching a context costs the
	// driver a goroutine per statement.
	ctx := context.Background()
	errs := make([]error, len(batch))
	err := db.transact(ctx, func(tx *sql.Tx) error {
		group := &writeBatch{}
		for i, r := range batch {
			if errs[i] = r.ctx.Err(); errs[i] != nil {
				continue
			}
			if errs[i] = r.fn(tx, group); errs[i] != nil {
				if _, ok := errs[i].(*refusedError); ok {
					errs[i] = requestErr(errs[i])
					continue
				}
				return errUndoGroup
			}
		}
		return db.flush(ctx, tx, group)
	})
	if errors.Is(err, errUndoGroup) {
		clear(errs)
		err = db.transact(ctx, func(tx *sql.Tx) error {
			group := &writeBatch{}
			for i, r := range batch {
				if errs[i] = r.ctx.Err(); errs[i] != nil {
					continue
				}
				if _, err := db.txExec(ctx, tx, sqlSavepoint); err != nil {
					return err
				}
				mine := &writeBatch{}
				if errs[i] = r.fn(tx, mine); errs[i] != nil {
					errs[i] = requestErr(errs[i])
					if _, err := db.txExec(ctx, tx, sqlRollback); err != nil {
						return err
					}
				} else {
					group.merge(mine)
				}
				if _, err := db.txExec(ctx, tx, sqlRelease); err != nil {
					return err
				}
			}
			return db.flush(ctx, tx, group)
		})
	}
	for i, r := range batch {
		if err != nil {
			errs[i] = fmt.Errorf("group commit: %w", err)
		}
		r.done <- errs[i]
	}
}

// transactGrouped runs fn in a write transaction that may be shared with
// other requests (see group commit above); it returns once fn's writes,
// and what fn added to w, are durable or undone.
func (db *DB) transactGrouped(ctx context.Context, fn func(tx *sql.Tx, w *writeBatch) error) error {
	if db.group == nil {
		return requestErr(db.transact(ctx, func(tx *sql.Tx) error {
			w := &writeBatch{}
			if err := fn(tx, w); err != nil {
				return err
			}
			return db.flush(ctx, tx, w)
		}))
	}
	r := groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.group <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}
