package web_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"epiguard/internal/testdb"
)

// TestDailyChildrenField checks the shape of SPEC §4.2's completion
// summary: "children" is always there, [] for a unit without child units,
// and the entries in it carry the unit's figures without a "children" of
// their own.
func TestDailyChildrenField(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	admin := f.signIn("admin")
	var class map[string]json.RawMessage
	if st := admin.do("GET", fmt.Sprintf("/api/v1/orgs/%d/daily?date=2026-11-27", f.orgs["C1"].ID), nil, &class); st != 200 {
		t.Fatalf("class daily = %d", st)
	}
	if got := string(class["children"]); got != "[]" {
		t.Errorf(`class: "children" = %q, want []`, got)
	}
	var school struct {
		Children []map[string]json.RawMessage `json:"children"`
	}
	if st := admin.do("GET", fmt.Sprintf("/api/v1/orgs/%d/daily?date=2026-11-27", f.orgs["S1"].ID), nil, &school); st != 200 {
		t.Fatalf("school daily = %d", st)
	}
	if len(school.Children) != 2 {
		t.Fatalf("school: %d children, want 2", len(school.Children))
	}
	for _, c := range school.Children {
		if _, ok := c["children"]; ok {
			t.Errorf("child entry %s has a children field", c["code"])
		}
		for _, k := range []string{"org_id", "date", "expected", "checked_in", "missing", "abnormal", "absent_ill"} {
			if _, ok := c[k]; !ok {
				t.Errorf("child entry %s lacks %q", c["code"], k)
			}
		}
	}
}
