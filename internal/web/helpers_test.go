package web_test

import (
	"context"
	"os"
	"testing"

	"epiguard/internal/domain"
	"epiguard/internal/store"
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

// adminScope returns the scope of the demo's admin account.
func adminScope(t *testing.T, db *store.DB) domain.Scope {
	t.Helper()
	acc, err := db.Authenticate(context.Background(), "admin", "demo")
	if err != nil {
		t.Fatal(err)
	}
	return acc.Scope()
}
