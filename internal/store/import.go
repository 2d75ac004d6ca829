package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"epiguard/internal/domain"
	"epiguard/internal/roster"
)

// ImportReport is the outcome of a roster import (SPEC §4.3).
type ImportReport struct {
	Problems  []roster.Problem `json:"problems"`
	Total     int              `json:"total"`
	Imported  int              `json:"imported"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Invalid   int              `json:"invalid"`
	// Written is false when nothing was written because of invalid rows.
	Written bool `json:"written"`
}

// Summary is the report's last line.
func (r *ImportReport) Summary() string {
	return fmt.Sprintf("imported %d, updated %d, invalid %d", r.Imported, r.Updated, r.Invalid)
}

// String is the whole report: one "LINE:COLUMN: reason" line per problem,
// then the summary.
func (r *ImportReport) String() string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	b.WriteString(r.Summary())
	b.WriteByte('\n')
	return b.String()
}

// importBatch is how many rows one multi-row INSERT carries: few round
// trips, well under both engines' limits on bound parameters.
const importBatch = 400

type existingPerson struct {
	id                                  int64
	name, kind, gender, birthDate, tags string
	orgID                               int64
	orgPath                             string
	idIdx                               []byte
	phoneEnc, gEnc                      []byte
	guardianName                        string
	dormID, householdID                 int64
}

// ImportPeople writes the parsed rows of a roster under the unit orgID.
// Every row is checked against the database too (unit codes in the scope,
// identity numbers used by other people, people outside the scope). With
// any invalid row nothing is written, unless skipInvalid, when the valid
// rows are. Empty cells never erase what is stored, and unchanged people
// are not touched, so importing the same file twice changes nothing.
func (db *DB) ImportPeople(ctx context.Context, sc domain.Scope, orgID int64, res *roster.Result, skipInvalid bool) (*ImportReport, error) {
	if !sc.CanEditPeople() {
		return nil, domain.Errorf(domain.EForbidden, "your role may not import people")
	}
	root, err := db.Org(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	tree, err := db.OrgTree(ctx, domain.Scope{Path: root.Path})
	if err != nil {
		return nil, err
	}
	byCode := make(map[string]*domain.Org, len(tree))
	for _, o := range tree {
		byCode[strings.ToLower(o.Code)] = o
	}
	existing, idOwner, err := db.loadForImport(ctx)
	if err != nil {
		return nil, err
	}

	rep := &ImportReport{Total: res.Total, Problems: slices.Clone(res.Problems)}
	bad := map[int]bool{}
	for _, p := range res.Problems {
		bad[p.Line] = true
	}
	problem := func(line int, f roster.Field, format string, args ...any) {
		rep.Problems = append(rep.Problems, roster.Problem{Line: line, Column: res.Column(f), Reason: fmt.Sprintf(format, args...)})
		bad[line] = true
	}
	type planned struct {
		row             roster.Row
		orgID           int64
		dormID, houseID int64
		old             *existingPerson
	}
	var plan []planned
	for _, r := range res.Rows {
		pl := planned{row: r, orgID: root.ID, old: existing[r.ExternalID]}
		if r.OrgCode != "" {
			o := byCode[strings.ToLower(r.OrgCode)]
			switch {
			case o == nil:
				problem(r.Line, roster.FieldOrgCode, "unknown org code %q under %s", r.OrgCode, root.Code)
			case !o.Kind.IsPrimary():
				problem(r.Line, roster.FieldOrgCode, "%q is a %s, not a class, department or household", r.OrgCode, o.Kind)
			default:
				pl.orgID = o.ID
			}
		}
		for _, m := range []struct {
			code  string
			field roster.Field
			dst   *int64
		}{{r.DormCode, roster.FieldDormCode, &pl.dormID}, {r.HouseholdCode, roster.FieldHouseholdCode, &pl.houseID}} {
			if m.code == "" {
				continue
			}
			if o := byCode[strings.ToLower(m.code)]; o != nil {
				*m.dst = o.ID
			} else {
				problem(r.Line, m.field, "unknown org code %q under %s", m.code, root.Code)
			}
		}
		if pl.old != nil && !sc.Contains(pl.old.orgPath) {
			problem(r.Line, roster.FieldExternalID, "%s belongs to a person outside your scope", r.ExternalID)
		}
		if r.IDNumber != "" {
			if owner, ok := idOwner[string(db.box.Index(r.IDNumber))]; ok && owner != r.ExternalID {
				problem(r.Line, roster.FieldIDNumber, "already registered for another person (%s)", owner)
			}
		}
		plan = append(plan, pl)
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Line < rep.Problems[j].Line })
	rep.Invalid = len(bad)
	if rep.Invalid > 0 && !skipInvalid {
		return rep, nil
	}

	now := db.now()
	var inserts []*domain.Person
	var insertMembers [][2]int64 // dorm, household per insert
	type update struct {
		p               *domain.Person
		dormID, houseID int64
		old             *existingPerson
	}
	var updates []update
	for _, pl := range plan {
		if bad[pl.row.Line] {
			continue
		}
		r := pl.row
		p := &domain.Person{ExternalID: r.ExternalID, Name: r.Name, Kind: domain.PersonKind(r.Kind), OrgID: pl.orgID,
			Gender: r.Gender, BirthDate: r.BirthDate, IDNumber: r.IDNumber, Phone: r.Phone,
			GuardianName: r.GuardianName, GuardianPhone: r.GuardianPhone, Tags: r.Tags}
		if pl.old == nil {
			inserts = append(inserts, p)
			insertMembers = append(insertMembers, [2]int64{pl.dormID, pl.houseID})
			continue
		}
		changed, err := db.mergeImported(ctx, p, pl.old)
		if err != nil {
			return nil, err
		}
		if changed || (pl.dormID != 0 && pl.dormID != pl.old.dormID) || (pl.houseID != 0 && pl.houseID != pl.old.householdID) {
			updates = append(updates, update{p, pl.dormID, pl.houseID, pl.old})
		} else {
			rep.Unchanged++
		}
	}

	deltas := map[int64]int{}
	for _, p := range inserts {
		peopleDelta(deltas, 0, "", p.OrgID, p.Kind)
	}
	for _, u := range updates {
		peopleDelta(deltas, u.old.orgID, domain.PersonKind(u.old.kind), u.p.OrgID, u.p.Kind)
	}
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if err := bumpPeople(ctx, tx, deltas); err != nil {
			return err
		}
		for start := 0; start < len(inserts); start += importBatch {
			end := min(start+importBatch, len(inserts))
			if err := db.insertPeopleBatch(ctx, tx, inserts[start:end], now); err != nil {
				return err
			}
		}
		var members []membershipRow
		for i, p := range inserts {
			if d := insertMembers[i][0]; d != 0 {
				members = append(members, membershipRow{p.ID, d, "dorm"})
			}
			if h := insertMembers[i][1]; h != 0 {
				members = append(members, membershipRow{p.ID, h, "household"})
			}
		}
		for _, u := range updates {
			s := db.seal(u.p)
			if _, err := tx.ExecContext(ctx, `UPDATE people SET name = $1, kind = $2, org_id = $3, gender = $4, birth_date = $5,
				id_number_enc = $6, id_number_idx = $7, id_number_masked = $8, phone_enc = $9, phone_masked = $10,
				guardian_name = $11, guardian_phone_enc = $12, guardian_phone_masked = $13, tags = $14, updated_at = $15 WHERE id = $16`,
				u.p.Name, u.p.Kind, u.p.OrgID, u.p.Gender, u.p.BirthDate, s.idEnc, s.idIdx, s.idMasked, s.phoneEnc, s.phoneMasked,
				u.p.GuardianName, s.gEnc, s.gMasked, joinTags(u.p.Tags), now, u.p.ID); err != nil {
				return fmt.Errorf("update %s: %w", u.p.ExternalID, err)
			}
			for _, m := range []struct {
				id, old int64
				role    string
			}{{u.dormID, u.old.dormID, "dorm"}, {u.houseID, u.old.householdID, "household"}} {
				if m.id == 0 || m.id == m.old {
					continue
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE person_id = $1 AND role = $2`, u.p.ID, m.role); err != nil {
					return fmt.Errorf("update %s: %w", u.p.ExternalID, err)
				}
				members = append(members, membershipRow{u.p.ID, m.id, m.role})
			}
			if err := db.linkGuardian(ctx, tx, u.p, now); err != nil {
				return err
			}
		}
		if err := db.insertMemberships(ctx, tx, members); err != nil {
			return err
		}
		return db.linkGuardians(ctx, tx, inserts, now)
	})
	if err != nil {
		return nil, fmt.Errorf("import people: %w", err)
	}
	rep.Imported, rep.Updated, rep.Written = len(inserts), len(updates), true
	return rep, nil
}

// mergeImported fills p with what the roster left empty from the stored
// person and reports whether anything differs.
func (db *DB) mergeImported(ctx context.Context, p *domain.Person, old *existingPerson) (bool, error) {
	p.ID = old.id
	phone, err := db.box.Open(old.phoneEnc)
	if err != nil {
		return false, err
	}
	gphone, err := db.box.Open(old.gEnc)
	if err != nil {
		return false, err
	}
	keep := func(dst *string, stored string) bool {
		if *dst == "" {
			*dst = stored
		}
		return *dst != stored
	}
	changed := p.Name != old.name || string(p.Kind) != old.kind || p.OrgID != old.orgID
	changed = keep(&p.Gender, old.gender) || changed
	changed = keep(&p.BirthDate, old.birthDate) || changed
	changed = keep(&p.Phone, phone) || changed
	changed = keep(&p.GuardianName, old.guardianName) || changed
	changed = keep(&p.GuardianPhone, gphone) || changed
	if p.IDNumber == "" {
		if len(old.idIdx) > 0 {
			// The stored number stays; re-seal needs the clear text.
			return changed, db.keepIDNumber(ctx, p, old)
		}
	} else if string(db.box.Index(p.IDNumber)) != string(old.idIdx) {
		changed = true
	}
	if len(p.Tags) == 0 {
		p.Tags = splitTags(old.tags)
	} else if joinTags(p.Tags) != old.tags {
		changed = true
	}
	return changed, nil
}

func (db *DB) keepIDNumber(ctx context.Context, p *domain.Person, old *existingPerson) error {
	var enc []byte
	if err := db.read.QueryRowContext(ctx, `SELECT id_number_enc FROM people WHERE id = $1`, old.id).Scan(&enc); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	s, err := db.box.Open(enc)
	p.IDNumber = s
	return err
}

// loadForImport reads what an import compares against: every person by
// external id, and the owner of every identity number.
func (db *DB) loadForImport(ctx context.Context) (map[string]*existingPerson, map[string]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT p.id, p.external_id, p.name, p.kind, p.org_id, o.path, p.gender, p.birth_date,
		p.id_number_idx, p.phone_enc, p.guardian_name, p.guardian_phone_enc, p.tags,
		COALESCE((SELECT MIN(m.org_id) FROM memberships m WHERE m.person_id = p.id AND m.role = 'dorm'), 0),
		COALESCE((SELECT MIN(m.org_id) FROM memberships m WHERE m.person_id = p.id AND m.role = 'household'), 0)
		FROM people p JOIN orgs o ON o.id = p.org_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("import: load people: %w", err)
	}
	defer rows.Close()
	byExt := map[string]*existingPerson{}
	idOwner := map[string]string{}
	for rows.Next() {
		var e existingPerson
		var ext string
		if err := rows.Scan(&e.id, &ext, &e.name, &e.kind, &e.orgID, &e.orgPath, &e.gender, &e.birthDate,
			&e.idIdx, &e.phoneEnc, &e.guardianName, &e.gEnc, &e.tags, &e.dormID, &e.householdID); err != nil {
			return nil, nil, fmt.Errorf("import: load people: %w", err)
		}
		byExt[ext] = &e
		if len(e.idIdx) > 0 {
			idOwner[string(e.idIdx)] = ext
		}
	}
	return byExt, idOwner, rows.Err()
}

// insertPeopleBatch inserts people and sets their ids. PostgreSQL gets one
// multi-row INSERT per batch (one round trip); SQLite, in process, is
// fastest with one prepared single-row statement, because its parser
// looks numbered parameters up linearly and a 6,000-parameter statement
// costs quadratic time.
func (db *DB) insertPeopleBatch(ctx context.Context, tx *sql.Tx, batch []*domain.Person, now time.Time) error {
	const cols = `INSERT INTO people (external_id, name, kind, org_id, gender, birth_date, id_number_enc, id_number_idx,
		id_number_masked, phone_enc, phone_masked, guardian_name, guardian_phone_enc, guardian_phone_masked, tags, created_at, updated_at) VALUES `
	values := func(p *domain.Person) []any {
		s := db.seal(p)
		p.IDNumberMasked, p.PhoneMasked, p.GuardianMasked = s.idMasked, s.phoneMasked, s.gMasked
		p.CreatedAt, p.UpdatedAt = now, now
		return []any{p.ExternalID, p.Name, string(p.Kind), p.OrgID, p.Gender, p.BirthDate, s.idEnc, s.idIdx,
			s.idMasked, s.phoneEnc, s.phoneMasked, p.GuardianName, s.gEnc, s.gMasked, joinTags(p.Tags), now, now}
	}
	if db.engine == SQLite {
		stmt, err := tx.PrepareContext(ctx, cols+`($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`)
		if err != nil {
			return fmt.Errorf("insert people: %w", err)
		}
		defer stmt.Close()
		for _, p := range batch {
			res, err := stmt.ExecContext(ctx, values(p)...)
			if err == nil {
				p.ID, err = res.LastInsertId()
			}
			if err != nil {
				return fmt.Errorf("insert %s: %w", p.ExternalID, err)
			}
		}
		return nil
	}
	var a args
	var b strings.Builder
	b.WriteString(cols)
	for i, p := range batch {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.tuple(values(p)...))
	}
	b.WriteString(" RETURNING id, external_id")
	rows, err := tx.QueryContext(ctx, b.String(), a...)
	if err != nil {
		return fmt.Errorf("insert people: %w", err)
	}
	defer rows.Close()
	ids := make(map[string]int64, len(batch))
	for rows.Next() {
		var id int64
		var ext string
		if err := rows.Scan(&id, &ext); err != nil {
			return fmt.Errorf("insert people: %w", err)
		}
		ids[ext] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert people: %w", err)
	}
	for _, p := range batch {
		p.ID = ids[p.ExternalID]
	}
	return nil
}

// insertRows inserts rows of values into the statement prefix ("INSERT
// INTO t (a, b) VALUES ") followed by suffix, batched as insertPeopleBatch
// explains.
func (db *DB) insertRows(ctx context.Context, tx *sql.Tx, prefix, suffix string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if db.engine == SQLite {
		var a args
		stmt, err := tx.PrepareContext(ctx, prefix+a.tuple(rows[0]...)+" "+suffix)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, r...); err != nil {
				return err
			}
		}
		return nil
	}
	for start := 0; start < len(rows); start += importBatch {
		var a args
		var b strings.Builder
		b.WriteString(prefix)
		for i, r := range rows[start:min(start+importBatch, len(rows))] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(a.tuple(r...))
		}
		b.WriteString(" " + suffix)
		if _, err := tx.ExecContext(ctx, b.String(), a...); err != nil {
			return err
		}
	}
	return nil
}

type membershipRow struct {
	personID, orgID int64
	role            string
}

func (db *DB) insertMemberships(ctx context.Context, tx *sql.Tx, rows []membershipRow) error {
	vals := make([][]any, len(rows))
	for i, m := range rows {
		vals[i] = []any{m.personID, m.orgID, m.role}
	}
	err := db.insertRows(ctx, tx, `INSERT INTO memberships (person_id, org_id, role) VALUES `,
		`ON CONFLICT (person_id, org_id) DO UPDATE SET role = excluded.role`, vals)
	if err != nil {
		return fmt.Errorf("insert memberships: %w", err)
	}
	return nil
}

// linkGuardians links newly inserted people to their guardians, creating
// each guardian once however many children they have in the file.
func (db *DB) linkGuardians(ctx context.Context, tx *sql.Tx, people []*domain.Person, now time.Time) error {
	known := map[string]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT id, phone_idx FROM guardians`)
	if err != nil {
		return fmt.Errorf("guardians: %w", err)
	}
	for rows.Next() {
		var id int64
		var idx []byte
		if err := rows.Scan(&id, &idx); err != nil {
			rows.Close()
			return fmt.Errorf("guardians: %w", err)
		}
		known[string(idx)] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("guardians: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO guardians (name, phone_enc, phone_idx, phone_masked, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`)
	if err != nil {
		return fmt.Errorf("guardians: %w", err)
	}
	defer stmt.Close()
	var links [][2]int64
	for _, p := range people {
		if p.GuardianPhone == "" {
			continue
		}
		idx := db.box.Index(p.GuardianPhone)
		gid, ok := known[string(idx)]
		if !ok {
			name := p.GuardianName
			if name == "" {
				name = p.Name + "的监护人"
			}
			if err := stmt.QueryRowContext(ctx, name, db.box.Seal(p.GuardianPhone), idx, domain.MaskPhone(p.GuardianPhone), now).Scan(&gid); err != nil {
				return fmt.Errorf("guardians: %w", err)
			}
			known[string(idx)] = gid
		}
		links = append(links, [2]int64{gid, p.ID})
	}
	vals := make([][]any, len(links))
	for i, l := range links {
		vals[i] = []any{l[0], l[1]}
	}
	if err := db.insertRows(ctx, tx, `INSERT INTO guardian_children (guardian_id, person_id) VALUES `, `ON CONFLICT DO NOTHING`, vals); err != nil {
		return fmt.Errorf("guardian links: %w", err)
	}
	return nil
}
