package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/secret"
)

const personColumns = `p.id, p.external_id, p.name, p.kind, p.org_id, o.name, p.gender, p.birth_date,
	p.id_number_masked, p.phone_masked, p.guardian_name, p.guardian_phone_masked, p.tags, p.created_at, p.updated_at`

func scanPerson(row interface{ Scan(...any) error }) (*domain.Person, error) {
	var p domain.Person
	var tags string
	if err := row.Scan(&p.ID, &p.ExternalID, &p.Name, &p.Kind, &p.OrgID, &p.OrgName, &p.Gender, &p.BirthDate,
		&p.IDNumberMasked, &p.PhoneMasked, &p.GuardianName, &p.GuardianMasked, &tags, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.Tags = splitTags(tags)
	p.Memberships = []domain.Membership{}
	return &p, nil
}

// Tags are stored as ",a,b," so that one LIKE '%,tag,%' finds a tag on
// both engines without a join.
func joinTags(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return "," + strings.Join(tags, ",") + ","
}

func splitTags(s string) []string {
	out := []string{}
	for _, t := range strings.Split(s, ",") {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

func errForbiddenPersonLevel() error {
	return domain.Errorf(domain.EForbidden, "your account sees aggregates only; ask an admin for person-level access")
}

// personLevelUnit returns the unit orgID in the scope, for reads of its
// people's records: they need person-level access.
func (db *DB) personLevelUnit(ctx context.Context, sc domain.Scope, orgID int64) (*domain.Org, error) {
	if !sc.PersonLevel {
		return nil, errForbiddenPersonLevel()
	}
	return db.Org(ctx, sc, orgID)
}

// PeopleQuery filters and pages a people list.
type PeopleQuery struct {
	OrgID int64  // this unit and below; 0 for the whole scope
	Q     string // part of a name or an external id
	Kind  domain.PersonKind
	Tag   string
	After int64 // keyset paging: ids greater than this
	Limit int
}

// People lists the people in the scope matching q, by id, and the total
// number of matches. Viewers without a person-level grant get EForbidden.
func (db *DB) People(ctx context.Context, sc domain.Scope, q PeopleQuery) (list []*domain.Person, total int, err error) {
	if !sc.PersonLevel {
		return nil, 0, errForbiddenPersonLevel()
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var a args
	var where []string
	if q.OrgID != 0 {
		org, err := db.Org(ctx, sc, q.OrgID)
		if err != nil {
			return nil, 0, err
		}
		where = append(where, a.inUnit(org.Path), a.personInScope(sc))
	} else if sc.Path != "/" {
		// The scope is a unit too: its people are found from its path,
		// not by testing every person.
		where = append(where, a.inUnit(sc.Path))
	} else {
		where = append(where, "TRUE")
	}
	if s := strings.TrimSpace(q.Q); s != "" {
		pat := a.add(like(s))
		where = append(where, `(p.name LIKE `+pat+` ESCAPE '\' OR p.external_id LIKE `+pat+` ESCAPE '\')`)
	}
	if q.Kind != "" {
		where = append(where, `p.kind = `+a.add(string(q.Kind)))
	}
	if q.Tag != "" {
		where = append(where, `p.tags LIKE `+a.add(like(","+q.Tag+","))+` ESCAPE '\'`)
	}
	cond := strings.Join(where, " AND ")
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM people p JOIN orgs o ON o.id = p.org_id WHERE `+cond, a...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count people: %w", err)
	}
	cond += ` AND p.id > ` + a.add(q.After)
	rows, err := db.read.QueryContext(ctx, `SELECT `+personColumns+` FROM people p JOIN orgs o ON o.id = p.org_id
		WHERE `+cond+` ORDER BY p.id LIMIT `+a.add(q.Limit), a...)
	if err != nil {
		return nil, 0, fmt.Errorf("list people: %w", err)
	}
	defer rows.Close()
	list = []*domain.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list people: %w", err)
		}
		list = append(list, p)
	}
	return list, total, rows.Err()
}

// Person returns one person with memberships; ENotFound if absent or out
// of scope. With unmask, the identity and phone numbers are decrypted:
// only roles that may see them get them, and the caller audits the view.
func (db *DB) Person(ctx context.Context, sc domain.Scope, id int64, unmask bool) (*domain.Person, error) {
	notFound := domain.Errorf(domain.ENotFound, "person %d not found", id)
	if !sc.PersonLevel {
		return nil, notFound
	}
	var a args
	idArg := a.add(id)
	p, err := scanPerson(db.read.QueryRowContext(ctx, `SELECT `+personColumns+` FROM people p JOIN orgs o ON o.id = p.org_id
		WHERE p.id = `+idArg+` AND `+a.personInScope(sc), a...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("person %d: %w", id, err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT m.org_id, o.code, o.name, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
		WHERE m.person_id = $1 ORDER BY o.code`, id)
	if err != nil {
		return nil, fmt.Errorf("person %d memberships: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m domain.Membership
		if err := rows.Scan(&m.OrgID, &m.OrgCode, &m.OrgName, &m.Role); err != nil {
			return nil, fmt.Errorf("person %d memberships: %w", id, err)
		}
		p.Memberships = append(p.Memberships, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("person %d memberships: %w", id, err)
	}
	if unmask {
		if !sc.CanUnmask() {
			return nil, domain.Errorf(domain.EForbidden, "your role may not see identity and phone numbers in full")
		}
		var idEnc, phoneEnc, gEnc []byte
		if err := db.read.QueryRowContext(ctx, `SELECT id_number_enc, phone_enc, guardian_phone_enc FROM people WHERE id = $1`, id).
			Scan(&idEnc, &phoneEnc, &gEnc); err != nil {
			return nil, fmt.Errorf("person %d: %w", id, err)
		}
		for _, f := range []struct {
			dst *string
			src []byte
		}{{&p.IDNumber, idEnc}, {&p.Phone, phoneEnc}, {&p.GuardianPhone, gEnc}} {
			if *f.dst, err = db.box.Open(f.src); err != nil {
				return nil, fmt.Errorf("person %d: %w", id, err)
			}
		}
	}
	return p, nil
}

// sealed holds the encrypted and masked forms of a person's identifiers.
type sealed struct {
	idEnc, idIdx, phoneEnc, gEnc   []byte
	idMasked, phoneMasked, gMasked string
}

func (db *DB) seal(p *domain.Person) sealed {
	return sealed{
		idEnc: db.box.Seal(p.IDNumber), idIdx: db.box.Index(p.IDNumber), idMasked: maskOr(p.IDNumber, domain.MaskIDNumber),
		phoneEnc: db.box.Seal(p.Phone), phoneMasked: maskOr(p.Phone, domain.MaskPhone),
		gEnc: db.box.Seal(p.GuardianPhone), gMasked: maskOr(p.GuardianPhone, domain.MaskPhone),
	}
}

func maskOr(s string, mask func(string) string) string {
	if s == "" {
		return ""
	}
	return mask(s)
}

// CreatePerson adds a person whose primary unit lies in the scope.
func (db *DB) CreatePerson(ctx context.Context, sc domain.Scope, p *domain.Person) error {
	if !sc.CanEditPeople() {
		return domain.Errorf(domain.EForbidden, "your role may not add people")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if _, err := db.Org(ctx, sc, p.OrgID); err != nil {
		return fieldErr("org_id", "no such unit in your scope")
	}
	err := db.transact(ctx, func(tx *sql.Tx) error {
		return db.insertPerson(ctx, tx, p, db.now())
	})
	if p.Tags == nil {
		p.Tags = []string{}
	}
	p.Memberships = []domain.Membership{}
	if isUniqueViolation(err) {
		return db.conflictOf(ctx, p)
	}
	if err != nil {
		return fmt.Errorf("create person: %w", err)
	}
	return nil
}

func fieldErr(field, msg string) error {
	return &domain.Error{Code: domain.EInvalid, Message: "invalid input", Fields: []domain.FieldError{{Field: field, Message: msg}}}
}

// conflictOf says which unique field of p clashes with another person.
func (db *DB) conflictOf(ctx context.Context, p *domain.Person) error {
	var n int
	db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE external_id = $1 AND id <> $2`, p.ExternalID, p.ID).Scan(&n)
	if n > 0 {
		return &domain.Error{Code: domain.EConflict, Message: "conflict",
			Fields: []domain.FieldError{{Field: "external_id", Message: "already used by another person"}}}
	}
	return &domain.Error{Code: domain.EConflict, Message: "conflict",
		Fields: []domain.FieldError{{Field: "id_number", Message: "already used by another person"}}}
}

func (db *DB) insertPerson(ctx context.Context, tx *sql.Tx, p *domain.Person, now time.Time) error {
	s := db.seal(p)
	err := tx.QueryRowContext(ctx, `INSERT INTO people (external_id, name, kind, org_id, gender, birth_date,
		id_number_enc, id_number_idx, id_number_masked, phone_enc, phone_masked, guardian_name, guardian_phone_enc,
		guardian_phone_masked, tags, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id`,
		p.ExternalID, p.Name, p.Kind, p.OrgID, p.Gender, p.BirthDate, s.idEnc, s.idIdx, s.idMasked,
		s.phoneEnc, s.phoneMasked, p.GuardianName, s.gEnc, s.gMasked, joinTags(p.Tags), now).Scan(&p.ID)
	if err != nil {
		return err
	}
	p.IDNumberMasked, p.PhoneMasked, p.GuardianMasked = s.idMasked, s.phoneMasked, s.gMasked
	p.CreatedAt, p.UpdatedAt = now, now
	deltas := map[int64]int{}
	peopleDelta(deltas, 0, "", p.OrgID, p.Kind)
	if err := bumpPeople(ctx, tx, deltas); err != nil {
		return err
	}
	return db.linkGuardian(ctx, tx, p, now)
}

// linkGuardian finds or creates the guardian with p's guardian phone and
// links them, and only them, to p, so one parent's link later shows all
// their children.
func (db *DB) linkGuardian(ctx context.Context, tx *sql.Tx, p *domain.Person, now time.Time) error {
	if p.GuardianPhone == "" {
		return db.unlinkGuardians(ctx, tx, p.ID, 0)
	}
	idx := db.box.Index(p.GuardianPhone)
	var gid int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM guardians WHERE phone_idx = $1`, idx).Scan(&gid)
	if errors.Is(err, sql.ErrNoRows) {
		name := p.GuardianName
		if name == "" {
			name = p.Name + "的监护人"
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO guardians (name, phone_enc, phone_idx, phone_masked, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, name, db.box.Seal(p.GuardianPhone), idx, domain.MaskPhone(p.GuardianPhone), now).Scan(&gid)
	}
	if err != nil {
		return fmt.Errorf("guardian: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO guardian_children (guardian_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, gid, p.ID); err != nil {
		return fmt.Errorf("guardian link: %w", err)
	}
	return db.unlinkGuardians(ctx, tx, p.ID, gid)
}

// unlinkGuardians ends the links of a person's guardians other than keep
// (0 for all): a person has the one guardian their record names, and
// when the school changes that phone number the former guardian's link
// must stop showing the child, checking them in and opening the gate.
func (db *DB) unlinkGuardians(ctx context.Context, tx *sql.Tx, personID, keep int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM guardian_children WHERE person_id = $1 AND guardian_id <> $2`, personID, keep); err != nil {
		return fmt.Errorf("guardian unlink: %w", err)
	}
	return nil
}

// PersonUpdate is a change to a person; nil fields stay as they are.
type PersonUpdate struct {
	Name          *string   `json:"name"`
	Kind          *string   `json:"kind"`
	OrgID         *int64    `json:"org_id"`
	Gender        *string   `json:"gender"`
	BirthDate     *string   `json:"birth_date"`
	IDNumber      *string   `json:"id_number"`
	Phone         *string   `json:"phone"`
	GuardianName  *string   `json:"guardian_name"`
	GuardianPhone *string   `json:"guardian_phone"`
	Tags          *[]string `json:"tags"`
}

// UpdatePerson changes a person in the scope. Identity and phone numbers
// are replaced only when given, since callers never see them in full.
func (db *DB) UpdatePerson(ctx context.Context, sc domain.Scope, id int64, u PersonUpdate) (*domain.Person, error) {
	if !sc.CanEditPeople() {
		if _, err := db.Person(ctx, sc, id, false); err != nil {
			return nil, err
		}
		return nil, domain.Errorf(domain.EForbidden, "your role may not change people")
	}
	p, err := db.Person(ctx, sc, id, true)
	if err != nil {
		return nil, err
	}
	oldOrg, oldKind := p.OrgID, p.Kind
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.Name, u.Name)
	if u.Kind != nil {
		p.Kind = domain.PersonKind(*u.Kind)
	}
	if u.OrgID != nil {
		if _, err := db.Org(ctx, sc, *u.OrgID); err != nil {
			return nil, fieldErr("org_id", "no such unit in your scope")
		}
		p.OrgID = *u.OrgID
	}
	set(&p.Gender, u.Gender)
	set(&p.BirthDate, u.BirthDate)
	set(&p.IDNumber, u.IDNumber)
	set(&p.Phone, u.Phone)
	set(&p.GuardianName, u.GuardianName)
	set(&p.GuardianPhone, u.GuardianPhone)
	if u.Tags != nil {
		p.Tags = *u.Tags
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	err = db.transact(ctx, func(tx *sql.Tx) error {
		s := db.seal(p)
		if _, err := tx.ExecContext(ctx, `UPDATE people SET name = $1, kind = $2, org_id = $3, gender = $4, birth_date = $5,
			id_number_enc = $6, id_number_idx = $7, id_number_masked = $8, phone_enc = $9, phone_masked = $10,
			guardian_name = $11, guardian_phone_enc = $12, guardian_phone_masked = $13, tags = $14, updated_at = $15 WHERE id = $16`,
			p.Name, p.Kind, p.OrgID, p.Gender, p.BirthDate, s.idEnc, s.idIdx, s.idMasked, s.phoneEnc, s.phoneMasked,
			p.GuardianName, s.gEnc, s.gMasked, joinTags(p.Tags), now, p.ID); err != nil {
			return err
		}
		deltas := map[int64]int{}
		peopleDelta(deltas, oldOrg, oldKind, p.OrgID, p.Kind)
		if err := bumpPeople(ctx, tx, deltas); err != nil {
			return err
		}
		return db.linkGuardian(ctx, tx, p, now)
	})
	if isUniqueViolation(err) {
		return nil, db.conflictOf(ctx, p)
	}
	if err != nil {
		return nil, fmt.Errorf("update person %d: %w", id, err)
	}
	return db.Person(ctx, sc, id, false)
}

// SetMembership adds (or with remove, drops) a person's membership of a
// unit other than their primary one.
func (db *DB) SetMembership(ctx context.Context, sc domain.Scope, personID, orgID int64, role string, remove bool) error {
	if !sc.CanEditPeople() {
		return domain.Errorf(domain.EForbidden, "your role may not change people")
	}
	if _, err := db.Person(ctx, sc, personID, false); err != nil {
		return err
	}
	if _, err := db.Org(ctx, sc, orgID); err != nil {
		return fieldErr("org_id", "no such unit in your scope")
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		var err error
		if remove {
			_, err = tx.ExecContext(ctx, `DELETE FROM memberships WHERE person_id = $1 AND org_id = $2`, personID, orgID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO memberships (person_id, org_id, role) VALUES ($1, $2, $3)
				ON CONFLICT (person_id, org_id) DO UPDATE SET role = excluded.role`, personID, orgID, role)
		}
		if err != nil {
			return fmt.Errorf("membership: %w", err)
		}
		return nil
	})
}

// RotatePersonToken gives the person a new personal-link token and returns
// it; the old link stops working. Only the hash is stored.
func (db *DB) RotatePersonToken(ctx context.Context, sc domain.Scope, id int64) (string, error) {
	if !sc.CanEditPeople() {
		if _, err := db.Person(ctx, sc, id, false); err != nil {
			return "", err
		}
		return "", domain.Errorf(domain.EForbidden, "your role may not rotate personal links")
	}
	if _, err := db.Person(ctx, sc, id, false); err != nil {
		return "", err
	}
	tok := secret.NewToken()
	err := db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE people SET token_hash = $1, updated_at = $2 WHERE id = $3`, secret.TokenHash(tok), db.now(), id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("rotate token of person %d: %w", id, err)
	}
	return tok, nil
}

// PersonByToken returns the person whose personal link is token; ENotFound
// for an unknown or rotated token.
func (db *DB) PersonByToken(ctx context.Context, token string) (*domain.Person, error) {
	p, err := scanPerson(db.read.QueryRowContext(ctx, `SELECT `+personColumns+` FROM people p JOIN orgs o ON o.id = p.org_id
		WHERE p.token_hash = $1`, secret.TokenHash(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENotFound, "this link is not valid (it may have been replaced)")
	}
	if err != nil {
		return nil, fmt.Errorf("person by token: %w", err)
	}
	return p, nil
}

// Guardian is a parent linked to one or more children.
type Guardian struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	PhoneMasked string `json:"phone_masked"`
}

// Guardians returns the guardians linked to a person in the scope.
func (db *DB) Guardians(ctx context.Context, sc domain.Scope, personID int64) ([]Guardian, error) {
	if _, err := db.Person(ctx, sc, personID, false); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT g.id, g.name, g.phone_masked FROM guardians g
		JOIN guardian_children c ON c.guardian_id = g.id WHERE c.person_id = $1 ORDER BY g.id`, personID)
	if err != nil {
		return nil, fmt.Errorf("guardians of %d: %w", personID, err)
	}
	defer rows.Close()
	out := []Guardian{}
	for rows.Next() {
		var g Guardian
		if err := rows.Scan(&g.ID, &g.Name, &g.PhoneMasked); err != nil {
			return nil, fmt.Errorf("guardians of %d: %w", personID, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// RotateGuardianToken gives a guardian (of a person in the scope) a new
// link token and returns it.
func (db *DB) RotateGuardianToken(ctx context.Context, sc domain.Scope, personID, guardianID int64) (string, error) {
	gs, err := db.Guardians(ctx, sc, personID)
	if err != nil {
		return "", err
	}
	if !sc.CanEditPeople() {
		return "", domain.Errorf(domain.EForbidden, "your role may not rotate personal links")
	}
	found := false
	for _, g := range gs {
		found = found || g.ID == guardianID
	}
	if !found {
		return "", domain.Errorf(domain.ENotFound, "guardian %d not found", guardianID)
	}
	tok := secret.NewToken()
	err = db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE guardians SET token_hash = $1 WHERE id = $2`, secret.TokenHash(tok), guardianID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("rotate guardian token: %w", err)
	}
	return tok, nil
}

// LinkHolder is whoever a personal link belongs to: one person, or a
// guardian with their children.
type LinkHolder struct {
	GuardianID   int64
	GuardianName string
	People       []*domain.Person
}

// HolderByToken resolves a personal link token: a person's own link or a
// guardian's. ENotFound for an unknown or rotated token.
func (db *DB) HolderByToken(ctx context.Context, token string) (*LinkHolder, error) {
	p, err := db.PersonByToken(ctx, token)
	if err == nil {
		return &LinkHolder{People: []*domain.Person{p}}, nil
	}
	if domain.ErrorCode(err) != domain.ENotFound {
		return nil, err
	}
	h := &LinkHolder{}
	err = db.read.QueryRowContext(ctx, `SELECT id, name FROM guardians WHERE token_hash = $1`, secret.TokenHash(token)).Scan(&h.GuardianID, &h.GuardianName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENotFound, "this link is not valid (it may have been replaced)")
	}
	if err != nil {
		return nil, fmt.Errorf("guardian by token: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+personColumns+` FROM people p JOIN orgs o ON o.id = p.org_id
		JOIN guardian_children gc ON gc.person_id = p.id WHERE gc.guardian_id = $1 ORDER BY p.birth_date, p.id`, h.GuardianID)
	if err != nil {
		return nil, fmt.Errorf("guardian's children: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		h.People = append(h.People, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(h.People) == 0 {
		// A guardian no child lists any longer holds a link to nothing.
		return nil, domain.Errorf(domain.ENotFound, "this link is not valid (it may have been replaced)")
	}
	return h, nil
}

// BackdateRegistrations moves the registration time of everyone
// registered after at back to at. A data set that brings weeks of history
// for people it has just created (the demo, SPEC §6) uses it: the status
// rules count missed check-ins only from registration on, and the history
// would otherwise begin before anyone was registered.
func (db *DB) BackdateRegistrations(ctx context.Context, at time.Time) error {
	err := db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE people SET created_at = $1 WHERE created_at > $1`, at)
		return err
	})
	if err != nil {
		return fmt.Errorf("backdate registrations: %w", err)
	}
	return nil
}
