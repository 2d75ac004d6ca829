package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"epiguard/internal/domain"
)

// PersonByExternalID finds a person in the scope by 学号/工号, for the gate.
func (db *DB) PersonByExternalID(ctx context.Context, sc domain.Scope, externalID string) (*domain.Person, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT id FROM people WHERE external_id = $1`, externalID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENotFound, "no person with number %q", externalID)
	}
	if err != nil {
		return nil, fmt.Errorf("person by external id: %w", err)
	}
	p, err := db.Person(ctx, sc, id, false)
	if err != nil {
		return nil, domain.Errorf(domain.ENotFound, "no person with number %q", externalID)
	}
	return p, nil
}

// ErrPassUsed is returned when a pass token is presented a second time.
var ErrPassUsed = domain.Errorf(domain.EConflict, "this pass code was already used: ask the person to refresh their pass")

// RecordGateScan stores a gate scan. A non-empty replayKey marks a pass
// token as used until it expires; a second use fails with ErrPassUsed and
// records nothing.
func (db *DB) RecordGateScan(ctx context.Context, s *domain.GateScan, replayKey string, passExpires time.Time) error {
	if s.At.IsZero() {
		s.At = db.now()
	}
	// Stored in UTC: SQLite compares times as text, so the gate log's day
	// bounds (GateLog) must be written in the same zone as the scans.
	s.At = s.At.UTC()
	reasons := "[]"
	var added []string
	date := s.At.In(db.loc).Format(time.DateOnly)
	err := db.transact(ctx, func(tx *sql.Tx) error {
		if replayKey != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM pass_uses WHERE expires_at < $1`, s.At.Add(-time.Minute)); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pass_uses WHERE replay_key = $1`, replayKey).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrPassUsed
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO pass_uses (replay_key, expires_at) VALUES ($1, $2)`, replayKey, passExpires.UTC()); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO gate_scans (org_id, gate, person_id, visitor_id, at, method, temperature_c, decision,
			status, reasons, note, guard) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			s.OrgID, s.Gate, s.PersonID, s.VisitorID, s.At, s.Method, s.TemperatureC, s.Decision, s.Status, reasons, s.Note, s.Guard).Scan(&s.ID); err != nil {
			return err
		}
		if s.PersonID != nil && s.TemperatureC != nil && *s.TemperatureC >= domain.DefaultThresholds.FeverC {
			if err := db.lockFor(ctx, tx, lockPerson, *s.PersonID); err != nil {
				return err
			}
			var err error
			added, err = db.setEvents(ctx, tx, *s.PersonID, date, "gate:"+strconv.FormatInt(s.ID, 10), []string{string(domain.SynFever)})
			return err
		}
		return nil
	})
	if errors.Is(err, ErrPassUsed) || isUniqueViolation(err) {
		return ErrPassUsed
	}
	if err != nil {
		return fmt.Errorf("record gate scan: %w", err)
	}
	if s.PersonID != nil {
		db.newSubjects(ctx, *s.PersonID, date, added)
	}
	return nil
}

// GateLog lists the scans at the units of the scope on a date (in loc),
// newest first.
func (db *DB) GateLog(ctx context.Context, sc domain.Scope, date string, loc *time.Location, limit int) ([]*domain.GateScan, error) {
	day, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return nil, fieldErr("date", "must be a date YYYY-MM-DD")
	}
	if limit <= 0 {
		limit = 200
	}
	rows, err := db.read.QueryContext(ctx, `SELECT g.id, g.org_id, g.gate, g.person_id, g.visitor_id,
		COALESCE(p.name, v.name, ''), g.at, g.method, g.temperature_c, g.decision, g.status, g.note, g.guard
		FROM gate_scans g JOIN orgs o ON o.id = g.org_id
		LEFT JOIN people p ON p.id = g.person_id LEFT JOIN visitors v ON v.id = g.visitor_id
		WHERE o.path >= $1 AND o.path < $2 AND g.at >= $3 AND g.at < $4 ORDER BY g.id DESC LIMIT $5`,
		sc.Path, domain.UpperBound(sc.Path), day.UTC(), day.AddDate(0, 0, 1).UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("gate log: %w", err)
	}
	defer rows.Close()
	out := []*domain.GateScan{}
	for rows.Next() {
		var g domain.GateScan
		var pid, vid sql.NullInt64
		var temp sql.NullFloat64
		if err := rows.Scan(&g.ID, &g.OrgID, &g.Gate, &pid, &vid, &g.Name, &g.At, &g.Method, &temp, &g.Decision, &g.Status, &g.Note, &g.Guard); err != nil {
			return nil, fmt.Errorf("gate log: %w", err)
		}
		if pid.Valid {
			g.PersonID = &pid.Int64
		}
		if vid.Valid {
			g.VisitorID = &vid.Int64
		}
		if temp.Valid {
			g.TemperatureC = &temp.Float64
		}
		out = append(out, &g)
	}
	return out, rows.Err()
}

// CreateVisitor registers a visitor at a unit of the scope.
func (db *DB) CreateVisitor(ctx context.Context, sc domain.Scope, v *domain.VisitorEntry) error {
	if err := v.Validate(); err != nil {
		return err
	}
	if _, err := db.Org(ctx, sc, v.OrgID); err != nil {
		return fieldErr("org_id", "no such unit in your scope")
	}
	v.IDNumberMasked, v.PhoneMasked = domain.MaskIDNumber(v.IDNumber), domain.MaskPhone(v.Phone)
	decl, _ := json.Marshal(v.Declaration)
	v.CreatedAt = db.now()
	err := db.transact(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO visitors (org_id, name, id_number_enc, id_number_masked, phone_enc, phone_masked,
			host, purpose, declaration, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			v.OrgID, v.Name, db.box.Seal(v.IDNumber), v.IDNumberMasked, db.box.Seal(v.Phone), v.PhoneMasked, v.Host, v.Purpose,
			string(decl), v.CreatedBy, v.CreatedAt).Scan(&v.ID)
	})
	if err != nil {
		return fmt.Errorf("create visitor: %w", err)
	}
	v.IDNumber, v.Phone = "", ""
	return nil
}
