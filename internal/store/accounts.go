package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/secret"
)

const accountColumns = `a.id, a.username, a.display_name, a.role, a.org_id, o.name, o.path, a.person_level, a.disabled, a.created_at`

func scanAccount(row interface{ Scan(...any) error }) (*domain.Account, error) {
	var a domain.Account
	err := row.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Role, &a.OrgID, &a.OrgName, &a.OrgPath, &a.PersonLevel, &a.Disabled, &a.CreatedAt)
	return &a, err
}

// CreateAccount adds an account whose scope unit lies in sc, with password pw.
func (db *DB) CreateAccount(ctx context.Context, sc domain.Scope, a *domain.Account, pw string) error {
	if !sc.CanAdmin() {
		return domain.Errorf(domain.EForbidden, "only admin may add accounts")
	}
	var v domain.Validation
	if err := a.Validate(); err != nil {
		v.Fields = append(v.Fields, domain.ErrorFields(err)...)
	}
	if err := domain.ValidatePassword(pw); err != nil {
		v.Fields = append(v.Fields, domain.ErrorFields(err)...)
	}
	if err := v.Err(); err != nil {
		return err
	}
	org, err := db.Org(ctx, sc, a.OrgID)
	if err != nil {
		return fieldErr("org_id", "no such unit in your scope")
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return err
	}
	a.CreatedAt = db.now()
	err = db.transact(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO accounts (username, display_name, password_hash, role, org_id, person_level, disabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			a.Username, a.DisplayName, hash, a.Role, a.OrgID, a.PersonLevel, a.Disabled, a.CreatedAt).Scan(&a.ID)
	})
	if isUniqueViolation(err) {
		return &domain.Error{Code: domain.EConflict, Message: "username taken",
			Fields: []domain.FieldError{{Field: "username", Message: "already taken"}}}
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	a.OrgName, a.OrgPath = org.Name, org.Path
	return nil
}

// Account returns an account whose unit lies in the scope.
func (db *DB) Account(ctx context.Context, sc domain.Scope, id int64) (*domain.Account, error) {
	a, err := scanAccount(db.read.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.Contains(a.OrgPath)) {
		return nil, domain.Errorf(domain.ENotFound, "account %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", id, err)
	}
	return a, nil
}

// Accounts lists the accounts whose unit lies in the scope.
func (db *DB) Accounts(ctx context.Context, sc domain.Scope) ([]*domain.Account, error) {
	if !sc.CanAdmin() {
		return nil, domain.Errorf(domain.EForbidden, "only admin may list accounts")
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts a JOIN orgs o ON o.id = a.org_id
		WHERE o.path >= $1 AND o.path < $2 ORDER BY a.username`, sc.Path, domain.UpperBound(sc.Path))
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	out := []*domain.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AccountUpdate changes an account; nil fields stay as they are.
type AccountUpdate struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	OrgID       *int64  `json:"org_id"`
	PersonLevel *bool   `json:"person_level"`
	Disabled    *bool   `json:"disabled"`
	Password    *string `json:"password"`
}

// UpdateAccount changes an account in the scope. Disabling an account or
// changing its password ends its sessions.
func (db *DB) UpdateAccount(ctx context.Context, sc domain.Scope, id int64, u AccountUpdate) (*domain.Account, error) {
	if !sc.CanAdmin() {
		return nil, domain.Errorf(domain.EForbidden, "only admin may change accounts")
	}
	a, err := db.Account(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if u.DisplayName != nil {
		a.DisplayName = *u.DisplayName
	}
	if u.Role != nil {
		a.Role = domain.Role(*u.Role)
	}
	if u.OrgID != nil {
		if _, err := db.Org(ctx, sc, *u.OrgID); err != nil {
			return nil, fieldErr("org_id", "no such unit in your scope")
		}
		a.OrgID = *u.OrgID
	}
	if u.PersonLevel != nil {
		a.PersonLevel = *u.PersonLevel
	}
	if u.Disabled != nil {
		if *u.Disabled && id == sc.AccountID {
			return nil, fieldErr("disabled", "you cannot disable your own account")
		}
		a.Disabled = *u.Disabled
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	var hash string
	if u.Password != nil {
		if err := domain.ValidatePassword(*u.Password); err != nil {
			return nil, err
		}
		if hash, err = secret.HashPassword(*u.Password); err != nil {
			return nil, err
		}
	}
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET display_name = $1, role = $2, org_id = $3, person_level = $4, disabled = $5 WHERE id = $6`,
			a.DisplayName, a.Role, a.OrgID, a.PersonLevel, a.Disabled, id); err != nil {
			return err
		}
		if hash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $1 WHERE id = $2`, hash, id); err != nil {
				return err
			}
		}
		if hash != "" || a.Disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update account %d: %w", id, err)
	}
	return db.Account(ctx, sc, id)
}

// Authenticate checks a username and password and returns the account;
// EUnauthenticated for an unknown user, a wrong password or a disabled
// account, without saying which.
func (db *DB) Authenticate(ctx context.Context, username, pw string) (*domain.Account, error) {
	var hash string
	row := db.read.QueryRowContext(ctx, `SELECT `+accountColumns+`, a.password_hash FROM accounts a
		JOIN orgs o ON o.id = a.org_id WHERE a.username = $1`, username)
	var acc domain.Account
	err := row.Scan(&acc.ID, &acc.Username, &acc.DisplayName, &acc.Role, &acc.OrgID, &acc.OrgName, &acc.OrgPath,
		&acc.PersonLevel, &acc.Disabled, &acc.CreatedAt, &hash)
	bad := domain.Errorf(domain.EUnauthenticated, "wrong username or password")
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check, so response times do not
		// tell which usernames exist.
		secret.CheckPassword(dummyHash, pw)
		return nil, bad
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !secret.CheckPassword(hash, pw) || acc.Disabled {
		return nil, bad
	}
	return &acc, nil
}

// dummyHash is an argon2id hash of a random password with the real
// parameters, used to equalise the timing of unknown usernames.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$0kC1v3o0qHn0vY9oJ8mJ0m1i1tq3x9y2d8O8Q3m7m0E"

// Session is a signed-in browser.
type Session struct {
	Account   *domain.Account
	CSRFToken string
	ExpiresAt time.Time
}

// CreateSession starts a session for the account and returns its cookie
// token. A new token at every sign-in prevents session fixation.
func (db *DB) CreateSession(ctx context.Context, accountID int64, ttl time.Duration) (token string, s *Session, err error) {
	token, csrf := secret.NewToken(), secret.NewToken()
	now := db.now()
	err = db.transact(ctx, func(tx *sql.Tx) error {
		// Expired sessions are swept here, where writes happen anyway.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			secret.TokenHash(token), accountID, csrf, now, now.Add(ttl))
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	s, err = db.Session(ctx, token)
	return token, s, err
}

// Session returns the live session with the given cookie token;
// EUnauthenticated if it is unknown, expired or its account is disabled.
func (db *DB) Session(ctx context.Context, token string) (*Session, error) {
	var s Session
	var acc domain.Account
	err := db.read.QueryRowContext(ctx, `SELECT `+accountColumns+`, s.csrf_token, s.expires_at FROM sessions s
		JOIN accounts a ON a.id = s.account_id JOIN orgs o ON o.id = a.org_id WHERE s.token_hash = $1`, secret.TokenHash(token)).
		Scan(&acc.ID, &acc.Username, &acc.DisplayName, &acc.Role, &acc.OrgID, &acc.OrgName, &acc.OrgPath,
			&acc.PersonLevel, &acc.Disabled, &acc.CreatedAt, &s.CSRFToken, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.EUnauthenticated, "not signed in")
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if acc.Disabled || db.now().After(s.ExpiresAt) {
		return nil, domain.Errorf(domain.EUnauthenticated, "session expired")
	}
	s.Account = &acc
	return &s, nil
}

// DeleteSession ends a session (sign-out).
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, secret.TokenHash(token))
		return err
	})
}

// CountAccounts returns how many accounts exist (0 on a new installation).
func (db *DB) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}
