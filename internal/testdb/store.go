package testdb

import (
	"context"
	"testing"

	"epiguard/internal/secret"
	"epiguard/internal/store"
)

// Store opens the database at dsn with a fixed test key, migrates it and
// closes it when the test ends.
func Store(t testing.TB, dsn string) *store.DB {
	t.Helper()
	box, err := secret.NewBox(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dsn, store.Options{Box: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
