package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Group commit: on SQLite every durable commit costs an fsync, and there is
// one writer. Check-ins arriving together are therefore written in one
// transaction, each inside its own savepoint so that one failing request
// does not undo the others, and acknowledged only after the shared commit.
// PostgreSQL batches its own WAL flushes, so there each request keeps its
// transaction.

// maxGroup bounds a group, so latency stays low under any load.
const maxGroup = 128

type groupReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
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
		// under light load a request commits alone and at once.
	drain:
		for len(batch) < maxGroup {
			select {
			case r, ok := <-db.group:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		db.commitGroup(batch)
	}
}

func (db *DB) commitGroup(batch []groupReq) {
	errs := make([]error, len(batch))
	err := db.transact(context.Background(), func(tx *sql.Tx) error {
		for i, r := range batch {
			if r.ctx.Err() != nil {
				errs[i] = r.ctx.Err()
				continue
			}
			if _, err := tx.ExecContext(r.ctx, `SAVEPOINT req`); err != nil {
				return err
			}
			errs[i] = r.fn(tx)
			undo := `RELEASE req`
			if errs[i] != nil {
				undo = `ROLLBACK TO req`
			}
			if _, err := tx.ExecContext(context.Background(), undo); err != nil {
				return err
			}
			if errs[i] != nil {
				if _, err := tx.ExecContext(context.Background(), `RELEASE req`); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for i, r := range batch {
		if err != nil {
			errs[i] = fmt.Errorf("group commit: %w", err)
		}
		r.done <- errs[i]
	}
}

// transactGrouped runs fn in a write transaction that may be shared with
// other requests (see group commit above); it returns once fn's writes are
// durable or undone.
func (db *DB) transactGrouped(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.group == nil {
		return db.transact(ctx, fn)
	}
	r := groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.group <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}
