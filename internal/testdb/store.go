package testdb

import (
	"context"
	"testing"

	"epiguard/internal/secret"
	"epiguard/internal/store"
)

// Store opens the database at dsn with a fixed test key, migrates it and
// closes it when the test ends.
func Store(t testing.TB, dsn string) *store.DB { return StoreWith(t, dsn, store.Options{}) }

// StoreWith is Store with options, e.g. a clock or a time zone; a nil Box
// is the fixed test key.
func StoreWith(t testing.TB, dsn string, opt store.Options) *store.DB {
	t.Helper()
	if opt.Box == nil {
		box, err := secret.NewBox(make([]byte, secret.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		opt.Box = box
	}
	db, err := store.Open(context.Background(), dsn, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
