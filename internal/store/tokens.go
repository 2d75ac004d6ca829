package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"epiguard/internal/domain"
	"epiguard/internal/secret"
)

// CreateAPIToken issues a bearer token for an account in the scope and
// returns it in clear text, once; only its hash is kept.
func (db *DB) CreateAPIToken(ctx context.Context, sc domain.Scope, accountID int64, name string) (string, *domain.APIToken, error) {
	if !sc.CanAdmin() {
		return "", nil, domain.Errorf(domain.EForbidden, "only admin may issue API tokens")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", nil, fieldErr("name", "required, at most 100 characters")
	}
	acc, err := db.Account(ctx, sc, accountID)
	if err != nil {
		return "", nil, fieldErr("account_id", "no such account in your scope")
	}
	tok := "eg_" + secret.NewToken()
	t := &domain.APIToken{AccountID: acc.ID, Username: acc.Username, Name: name, Prefix: tok[:10], CreatedAt: db.now()}
	err = db.transact(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO api_tokens (account_id, name, prefix, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			acc.ID, name, t.Prefix, secret.TokenHash(tok), t.CreatedAt).Scan(&t.ID)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create api token: %w", err)
	}
	return tok, t, nil
}

// APITokens lists the tokens of the accounts in the scope.
func (db *DB) APITokens(ctx context.Context, sc domain.Scope) ([]*domain.APIToken, error) {
	if !sc.CanAdmin() {
		return nil, domain.Errorf(domain.EForbidden, "only admin may list API tokens")
	}
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, t.account_id, a.username, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at IS NOT NULL
		FROM api_tokens t JOIN accounts a ON a.id = t.account_id JOIN orgs o ON o.id = a.org_id
		WHERE o.path >= $1 AND o.path < $2 ORDER BY t.id`, sc.Path, domain.UpperBound(sc.Path))
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	defer rows.Close()
	out := []*domain.APIToken{}
	for rows.Next() {
		var t domain.APIToken
		var used sql.NullTime
		if err := rows.Scan(&t.ID, &t.AccountID, &t.Username, &t.Name, &t.Prefix, &t.CreatedAt, &used, &t.Revoked); err != nil {
			return nil, fmt.Errorf("list api tokens: %w", err)
		}
		if used.Valid {
			t.LastUsed = &used.Time
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// RevokeAPIToken stops a token in the scope from working.
func (db *DB) RevokeAPIToken(ctx context.Context, sc domain.Scope, id int64) error {
	list, err := db.APITokens(ctx, sc)
	if err != nil {
		return err
	}
	for _, t := range list {
		if t.ID == id {
			return db.transact(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.now(), id)
				return err
			})
		}
	}
	return domain.Errorf(domain.ENotFound, "api token %d not found", id)
}

// AccountByAPIToken returns the account a bearer token acts as;
// EUnauthenticated for an unknown or revoked token or a disabled account.
func (db *DB) AccountByAPIToken(ctx context.Context, token string) (*domain.Account, error) {
	var acc domain.Account
	var tid int64
	err := db.read.QueryRowContext(ctx, `SELECT `+accountColumns+`, t.id FROM api_tokens t JOIN accounts a ON a.id = t.account_id
		JOIN orgs o ON o.id = a.org_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, secret.TokenHash(token)).
		Scan(&acc.ID, &acc.Username, &acc.DisplayName, &acc.Role, &acc.OrgID, &acc.OrgName, &acc.OrgPath,
			&acc.PersonLevel, &acc.Disabled, &acc.CreatedAt, &tid)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && acc.Disabled) {
		return nil, domain.Errorf(domain.EUnauthenticated, "invalid or revoked API token")
	}
	if err != nil {
		return nil, fmt.Errorf("api token: %w", err)
	}
	return &acc, nil
}
