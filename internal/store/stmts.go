package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the statements of the check-in path prepared on the
// write pool: SQLite spends more time parsing a statement than running
// it, and a check-in runs a dozen of them.
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt // nil value: being prepared
	closed bool
	// bound are the statements of m bound to transaction boundTx: binding
	// costs database/sql an allocation and bookkeeping each time, and a
	// group commit runs the same few statements for every request in it.
	boundTx *sql.Tx
	bound   map[string]*sql.Stmt
}

// txStmt returns the prepared form of query bound to tx, or nil the first
// time a query is seen: preparing it on the write pool must wait until the
// transaction gives the (on SQLite, only) write connection back, so that
// happens in the background and the caller runs the query unprepared once.
func (db *DB) txStmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	if s, ok := db.stmts.m[query]; ok {
		if s == nil {
			return nil // being prepared
		}
		if db.stmts.boundTx != tx {
			db.stmts.boundTx, db.stmts.bound = tx, map[string]*sql.Stmt{}
		}
		b := db.stmts.bound[query]
		if b == nil {
			b = tx.StmtContext(ctx, s)
			db.stmts.bound[query] = b
		}
		return b
	}
	if db.stmts.m == nil {
		db.stmts.m = map[string]*sql.Stmt{}
	}
	db.stmts.m[query] = nil
	go func() {
		s, err := db.write.PrepareContext(context.Background(), query)
		db.stmts.mu.Lock()
		defer db.stmts.mu.Unlock()
		if err != nil || db.stmts.closed {
			if s != nil {
				s.Close()
			}
			delete(db.stmts.m, query)
			return
		}
		db.stmts.m[query] = s
	}()
	return nil
}

// txQueryRow runs a cached statement that returns one row.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if s := db.txStmt(ctx, tx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// txExec runs a cached statement.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s := db.txStmt(ctx, tx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQuery runs a cached statement that returns rows.
func (db *DB) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if s := db.txStmt(ctx, tx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		if s != nil {
			s.Close()
		}
	}
	c.m, c.bound, c.boundTx, c.closed = nil, nil, nil, true
}
