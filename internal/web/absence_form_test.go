package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"epiguard/internal/testdb"
)

// TestAbsenceFormErrorsInPageLanguage: the absence form is a Chinese page
// (SPEC §7.4: every string translated); its errors name the fields by
// their labels and say what is wanted in Chinese, not the API's English.
func TestAbsenceFormErrorsInPageLanguage(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	teacher := f.rollClient("teacher")
	for _, tc := range []struct {
		name      string
		form      url.Values
		want, not string
	}{
		{"unknown number", url.Values{"external_id": {"NOPE"}, "start_date": {rollDay()}},
			"找不到这个学号或工号", "no person with number"},
		{"onset after start", url.Values{"external_id": {"p1"}, "start_date": {"2026-01-05"}, "onset_date": {"2026-01-06"}},
			"发病日期不能晚于今天，也不能晚于缺勤开始的日期", "is after the first day"},
		{"twice", url.Values{"external_id": {"p1"}, "start_date": {rollDay()}},
			"此人已有覆盖这一天的因病缺勤登记", "already has illness absence"},
	} {
		if tc.name == "twice" {
			if st, loc := teacher.post("/absences", url.Values{"external_id": {"p1"}, "start_date": {rollDay()}}); st != 303 {
				t.Fatalf("first absence = %d %s", st, loc)
			}
		}
		st, body := teacher.post("/absences", tc.form)
		if st >= 500 || st < 400 || !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) {
			t.Errorf("%s: %d, want %q and not %q in the page", tc.name, st, tc.want, tc.not)
		}
	}
}

// A field's error also stands beside the field, which is marked invalid
// and points to it, for people who do not read the summary at the top and
// for screen readers.
func TestAbsenceFormErrorsBesideTheirFields(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	teacher := f.rollClient("teacher")
	st, body := teacher.post("/absences", url.Values{"external_id": {"NOPE"}, "start_date": {"2026-01-05"}, "onset_date": {"2026-01-06"}})
	if st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Fatalf("status = %d", st)
	}
	for _, want := range []string{
		`aria-describedby="external_id-hint external_id-err" autocomplete="off" aria-invalid="true"`,
		`<p id="external_id-err" class="field-err span">找不到这个学号或工号`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	st, body = teacher.post("/absences", url.Values{"external_id": {"p1"}, "start_date": {"2026-01-05"}, "onset_date": {"2026-01-06"}})
	for _, want := range []string{
		`name="onset_date" type="date" value="2026-01-06"`,
		`aria-invalid="true" aria-describedby="onset_date-err"`,
		`<p id="onset_date-err" class="field-err span">发病日期不能晚于今天`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("status %d: page lacks %s", st, want)
		}
	}
	if strings.Contains(body, `id="start_date-err"`) {
		t.Error("a valid field is marked")
	}
}

// The same on an absence's page, where follow-ups, the return and the
// certificate are recorded.
func TestAbsenceUpdateErrorsBesideTheirFields(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	teacher := f.rollClient("teacher")
	st, loc := teacher.post("/absences", url.Values{"external_id": {"p1"}, "start_date": {rollDay()}})
	if st != http.StatusSeeOther {
		t.Fatalf("register = %d %s", st, loc)
	}
	path, _, _ := strings.Cut(loc, "?")
	for _, tc := range []struct {
		form url.Values
		want []string
	}{
		{url.Values{"return_date": {"2020-01-01"}}, []string{`aria-invalid="true" aria-describedby="return_date-err"`,
			`<p id="return_date-err" class="field-err span">请填写不早于缺勤开始日期的返校日期`}},
		{url.Values{"followup": {strings.Repeat("长", 501)}}, []string{`aria-invalid="true" aria-describedby="followup-err"`,
			`<p id="followup-err" class="field-err span">内容过长`}},
	} {
		st, body := teacher.post(path, tc.form)
		for _, want := range tc.want {
			if !strings.Contains(body, want) {
				t.Errorf("status %d: page lacks %s", st, want)
			}
		}
	}
}
