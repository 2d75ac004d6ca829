package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/status"
)

const absenceColumns = `a.id, a.person_id, p.name, o.name, a.start_date, a.onset_date, a.symptoms, a.saw_doctor, a.hospital, a.diagnosis,
	a.outcome, a.return_date, a.certificate_required, a.certificate_received, a.note, a.reported_by, a.source, a.created_at, a.updated_at`

func scanAbsence(row interface{ Scan(...any) error }) (*domain.Absence, error) {
	var a domain.Absence
	var syms string
	if err := row.Scan(&a.ID, &a.PersonID, &a.PersonName, &a.OrgName, &a.StartDate, &a.OnsetDate, &syms, &a.SawDoctor, &a.Hospital,
		&a.Diagnosis, &a.Outcome, &a.ReturnDate, &a.CertificateRequired, &a.CertificateReceived, &a.Note, &a.ReportedBy,
		&a.Source, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.Symptoms = splitTags(syms)
	a.Followups = []domain.Followup{}
	return &a, nil
}

// CreateAbsence registers an illness absence of a person in the scope. A
// return certificate is required when the diagnosis is one of SPEC §5.3's
// diseases, whatever the caller says.
func (db *DB) CreateAbsence(ctx context.Context, sc domain.Scope, a *domain.Absence, today string) error {
	if !sc.CanRecordHealth() {
		return domain.Errorf(domain.EForbidden, "your role (%s) may not register illness absences", sc.Role)
	}
	if err := a.Validate(today); err != nil {
		return err
	}
	if _, err := db.Person(ctx, sc, a.PersonID, false); err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return fieldErr("person_id", "no such person in your scope")
		}
		return err
	}
	a.CertificateRequired = a.CertificateRequired || status.NeedsCertificate(a.Diagnosis)
	a.Followups = []domain.Followup{}
	now := db.now()
	var added []string
	err := db.transact(ctx, func(tx *sql.Tx) error {
		// One illness, one absence: a second registration of the same
		// days (two staff, or a parent and a teacher, or a form sent
		// twice) would count the person twice in follow-ups and reports.
		if err := db.lockFor(ctx, tx, lockPerson, a.PersonID); err != nil {
			return err
		}
		var open int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM absences WHERE person_id = $1 AND start_date <= $2
			AND (return_date = '' OR return_date > $2) ORDER BY id LIMIT 1`, a.PersonID, a.StartDate).Scan(&open)
		switch {
		case err == nil:
			return domain.Errorf(domain.EConflict, "this person already has illness absence %d covering %s: add a follow-up to it instead", open, a.StartDate)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO absences (person_id, start_date, onset_date, symptoms, saw_doctor, hospital, diagnosis,
			outcome, return_date, certificate_required, certificate_received, note, reported_by, source, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
			a.PersonID, a.StartDate, a.OnsetDate, joinTags(a.Symptoms), a.SawDoctor, a.Hospital, a.Diagnosis, a.Outcome,
			a.ReturnDate, a.CertificateRequired, a.CertificateReceived, a.Note, a.ReportedBy, a.Source, now).Scan(&a.ID)
		if err != nil {
			return err
		}
		if added, err = db.setEvents(ctx, tx, a.PersonID, a.StartDate, absenceSource(a.ID), absenceSubjects(a, domain.DefaultThresholds)); err != nil {
			return err
		}
		_, err = db.refreshStatus(ctx, tx, a.PersonID, today, "absence")
		return err
	})
	if err != nil {
		if domain.ErrorCode(err) != domain.EInternal {
			return err
		}
		return fmt.Errorf("create absence: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = now, now
	db.newSubjects(ctx, a.PersonID, a.StartDate, added)
	return nil
}

// Absence returns one absence of a person in the scope, with follow-ups.
func (db *DB) Absence(ctx context.Context, sc domain.Scope, id int64) (*domain.Absence, error) {
	a, err := scanAbsence(db.read.QueryRowContext(ctx, `SELECT `+absenceColumns+` FROM absences a JOIN people p ON p.id = a.person_id
		JOIN orgs o ON o.id = p.org_id WHERE a.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENotFound, "absence %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("absence %d: %w", id, err)
	}
	if _, err := db.Person(ctx, sc, a.PersonID, false); err != nil {
		return nil, domain.Errorf(domain.ENotFound, "absence %d not found", id)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, by_name, result FROM absence_followups WHERE absence_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("absence %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f domain.Followup
		if err := rows.Scan(&f.ID, &f.At, &f.By, &f.Result); err != nil {
			return nil, err
		}
		a.Followups = append(a.Followups, f)
	}
	return a, rows.Err()
}

// AbsenceUpdate changes an absence; nil fields stay as they are.
type AbsenceUpdate struct {
	OnsetDate           *string   `json:"onset_date"`
	Symptoms            *[]string `json:"symptoms"`
	SawDoctor           *bool     `json:"saw_doctor"`
	Hospital            *string   `json:"hospital"`
	Diagnosis           *string   `json:"diagnosis"`
	Outcome             *string   `json:"outcome"`
	ReturnDate          *string   `json:"return_date"`
	CertificateReceived *string   `json:"certificate_received"`
	Note                *string   `json:"note"`
	// Followup, when set, adds a follow-up entry by the caller.
	Followup *string `json:"followup"`
}

// UpdateAbsence records what became known: diagnosis, outcome, return,
// certificate, a follow-up call. The person's status is recomputed.
func (db *DB) UpdateAbsence(ctx context.Context, sc domain.Scope, id int64, u AbsenceUpdate, by, today string) (*domain.Absence, error) {
	if !sc.CanRecordHealth() {
		return nil, domain.Errorf(domain.EForbidden, "your role (%s) may not change illness absences", sc.Role)
	}
	a, err := db.Absence(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&a.OnsetDate, u.OnsetDate)
	set(&a.Hospital, u.Hospital)
	set(&a.Diagnosis, u.Diagnosis)
	set(&a.Outcome, u.Outcome)
	set(&a.ReturnDate, u.ReturnDate)
	set(&a.CertificateReceived, u.CertificateReceived)
	set(&a.Note, u.Note)
	if u.Symptoms != nil {
		a.Symptoms = *u.Symptoms
	}
	if u.SawDoctor != nil {
		a.SawDoctor = *u.SawDoctor
	}
	if err := a.Validate(today); err != nil {
		return nil, err
	}
	if u.Followup != nil && len([]rune(*u.Followup)) > 500 {
		return nil, fieldErr("followup", "at most 500 characters")
	}
	a.CertificateRequired = a.CertificateRequired || status.NeedsCertificate(a.Diagnosis)
	now := db.now()
	var added []string
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockFor(ctx, tx, lockPerson, a.PersonID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE absences SET onset_date = $1, symptoms = $2, saw_doctor = $3, hospital = $4, diagnosis = $5,
			outcome = $6, return_date = $7, certificate_required = $8, certificate_received = $9, note = $10, updated_at = $11 WHERE id = $12`,
			a.OnsetDate, joinTags(a.Symptoms), a.SawDoctor, a.Hospital, a.Diagnosis, a.Outcome, a.ReturnDate, a.CertificateRequired,
			a.CertificateReceived, a.Note, now, id); err != nil {
			return err
		}
		if u.Followup != nil && *u.Followup != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO absence_followups (absence_id, at, by_name, result) VALUES ($1, $2, $3, $4)`,
				id, now, by, *u.Followup); err != nil {
				return err
			}
		}
		var err error
		if added, err = db.setEvents(ctx, tx, a.PersonID, a.StartDate, absenceSource(id), absenceSubjects(a, domain.DefaultThresholds)); err != nil {
			return err
		}
		_, err = db.refreshStatus(ctx, tx, a.PersonID, today, "absence")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update absence %d: %w", id, err)
	}
	db.newSubjects(ctx, a.PersonID, a.StartDate, added)
	return db.Absence(ctx, sc, id)
}

// AbsenceQuery filters the absence list.
type AbsenceQuery struct {
	OrgID int64
	Date  string // absences covering this date; "" for any
	// OpenOnly keeps the absences still open today: the person has not
	// returned (no return date, or one still to come) or the return
	// certificate they need has not been received.
	OpenOnly bool
	Limit    int
	// Offset skips that many absences of the order, for the pages after
	// the first.
	Offset int
}

// Absences lists the absences of people in the scope, newest first.
func (db *DB) Absences(ctx context.Context, sc domain.Scope, q AbsenceQuery) ([]*domain.Absence, error) {
	if !sc.PersonLevel {
		return nil, errForbiddenPersonLevel()
	}
	if q.Limit <= 0 {
		q.Limit = 200
	}
	var a args
	cond := a.personInScope(sc)
	if q.OrgID != 0 {
		org, err := db.Org(ctx, sc, q.OrgID)
		if err != nil {
			return nil, err
		}
		cond += ` AND ` + a.inUnit(org.Path)
	}
	if q.Date != "" {
		if !validDate(q.Date) {
			return nil, fieldErr("date", "must be a date YYYY-MM-DD")
		}
		d := a.add(q.Date)
		cond += ` AND a.start_date <= ` + d + ` AND (a.return_date = '' OR a.return_date > ` + d + `)`
	}
	if q.OpenOnly {
		today := a.add(db.now().In(db.loc).Format(time.DateOnly))
		cond += ` AND (a.return_date = '' OR a.return_date > ` + today + ` OR (a.certificate_required AND a.certificate_received = ''))`
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+absenceColumns+` FROM absences a JOIN people p ON p.id = a.person_id
		JOIN orgs o ON o.id = p.org_id WHERE `+cond+` ORDER BY a.start_date DESC, a.id DESC LIMIT `+a.add(q.Limit)+` OFFSET `+a.add(max(q.Offset, 0)), a...)
	if err != nil {
		return nil, fmt.Errorf("absences: %w", err)
	}
	defer rows.Close()
	out := []*domain.Absence{}
	for rows.Next() {
		ab, err := scanAbsence(rows)
		if err != nil {
			return nil, fmt.Errorf("absences: %w", err)
		}
		out = append(out, ab)
	}
	return out, rows.Err()
}
