package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"epiguard/internal/cluster"
	"epiguard/internal/testdb"
)

func TestClusterRulesAPI(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		var got struct {
			Version int            `json:"version"`
			Rules   []cluster.Rule `json:"rules"`
		}
		health := f.signIn("health")
		if st := health.do("GET", "/api/v1/cluster-rules", nil, &got); st != 200 || got.Version != 1 || len(got.Rules) != len(cluster.DefaultRules()) {
			t.Fatalf("defaults = %d v%d %d rules", st, got.Version, len(got.Rules))
		}
		rules := got.Rules
		if st := health.do("PUT", "/api/v1/cluster-rules", map[string]any{"rules": rules}, nil); st != 403 {
			t.Errorf("health saves rules = %d", st)
		}
		admin := f.signIn("admin")
		bad := append([]cluster.Rule(nil), rules...)
		bad[0].Threshold = cluster.Threshold{}
		var e errOut
		if st := admin.do("PUT", "/api/v1/cluster-rules", map[string]any{"rules": bad}, &e); st != 400 || !strings.HasPrefix(e.field(), "rules[0]") {
			t.Fatalf("invalid rule = %d %+v", st, e)
		}
		rules[0].Threshold.Count = 4
		var saved struct {
			Version int `json:"version"`
		}
		if st := admin.do("PUT", "/api/v1/cluster-rules", map[string]any{"rules": rules}, &saved); st != 200 || saved.Version != 2 {
			t.Fatalf("save = %d v%d", st, saved.Version)
		}
		if st := health.do("GET", "/api/v1/cluster-rules", nil, &got); st != 200 || got.Version != 2 || got.Rules[0].Threshold.Count != 4 {
			t.Fatalf("after save = %d v%d %+v", st, got.Version, got.Rules[0].Threshold)
		}
	})
}

func TestCalendarAPI(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		type unitCal struct {
			Source    string          `json:"source"`
			FromOrgID int64           `json:"from_org_id"`
			Calendar  json.RawMessage `json:"calendar"`
		}
		s1, c1, s3 := f.orgs["S1"].ID, f.orgs["C1"].ID, f.orgs["S3"].ID
		health := f.signIn("health")
		var uc unitCal
		if st := health.do("GET", fmt.Sprintf("/api/v1/orgs/%d/calendar", s1), nil, &uc); st != 200 || uc.Source != "default" {
			t.Fatalf("default calendar = %d %+v", st, uc)
		}
		if st := health.do("GET", fmt.Sprintf("/api/v1/orgs/%d/calendar", s3), nil, nil); st != 404 {
			t.Errorf("out of scope = %d", st)
		}
		cal := map[string]any{"terms": []map[string]string{{"name": "2026秋季学期", "start": "2026-09-01", "end": "2027-01-22"}},
			"holidays":    []map[string]string{{"name": "国庆节", "start": "2026-10-01", "end": "2026-10-07"}},
			"makeup_days": []map[string]string{{"date": "2026-10-10", "name": "国庆调休"}}}
		if st := health.do("PUT", fmt.Sprintf("/api/v1/orgs/%d/calendar", s1), cal, nil); st != 403 {
			t.Errorf("health saves a calendar = %d", st)
		}
		admin := f.signIn("admin")
		badCal := map[string]any{"terms": []map[string]string{{"name": "x", "start": "2026-09-01", "end": "2026-08-01"}}}
		var e errOut
		if st := admin.do("PUT", fmt.Sprintf("/api/v1/orgs/%d/calendar", s1), badCal, &e); st != 400 || !strings.HasPrefix(e.field(), "terms[0]") {
			t.Fatalf("bad calendar = %d %+v", st, e)
		}
		if st := admin.do("PUT", fmt.Sprintf("/api/v1/orgs/%d/calendar", s1), cal, nil); st != 200 {
			t.Fatalf("save calendar = %d", st)
		}
		if st := health.do("GET", fmt.Sprintf("/api/v1/orgs/%d/calendar", s1), nil, &uc); st != 200 || uc.Source != "own" || !strings.Contains(string(uc.Calendar), "国庆调休") {
			t.Fatalf("own calendar = %d %+v", st, uc)
		}
		if st := health.do("GET", fmt.Sprintf("/api/v1/orgs/%d/calendar", c1), nil, &uc); st != 200 || uc.Source != "inherited" || uc.FromOrgID != s1 {
			t.Fatalf("class calendar = %d %+v", st, uc)
		}
	})
}

func TestWarningSettingsPages(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	admin := f.signIn("admin")
	st, body := admin.page("/cluster-rules")
	if st != 200 || !strings.Contains(body, "similar_symptoms_1d") || !strings.Contains(body, "卫办疾控发〔2006〕65号") || !strings.Contains(body, `id="rules"`) {
		t.Fatalf("rules page = %d", st)
	}
	st, body, _ = admin.gatePost("/cluster-rules", url.Values{"rules": {`[{"code":"x"`}})
	if st != 422 || !strings.Contains(body, "not valid JSON") || !strings.Contains(body, `[{&#34;code&#34;:&#34;x&#34;`) {
		t.Fatalf("bad JSON = %d", st)
	}
	st, body, _ = admin.gatePost("/cluster-rules", url.Values{"rules": {`[{"code":"x","kinds":["class"],"window":{"days":1},"threshold":{"count":1},"level":"cluster","actions":[],"source":"","enabled":true}]`}})
	if st != 422 || !strings.Contains(body, "rules[0]") {
		t.Fatalf("invalid rule = %d", st)
	}
	if st, _, to := admin.gatePost("/cluster-rules", url.Values{"reset": {"1"}}); st != 303 || !strings.Contains(to, "crules.saved") {
		t.Fatalf("reset = %d %s", st, to)
	}
	s1 := fmt.Sprint(f.orgs["S1"].ID)
	st, body = admin.page("/orgs/" + s1 + "/calendar")
	if st != 200 || !strings.Contains(body, "全国默认校历") || !strings.Contains(body, `id="calendar"`) {
		t.Fatalf("calendar page = %d", st)
	}
	st, body, _ = admin.gatePost("/orgs/"+s1+"/calendar", url.Values{"calendar": {`{"terms":[{"name":"t","start":"2026-09-01","end":"2026-08-01"}]}`}})
	if st != 422 || !strings.Contains(body, "terms[0]") {
		t.Fatalf("bad calendar = %d", st)
	}
	if st, _, to := admin.gatePost("/orgs/"+s1+"/calendar", url.Values{"calendar": {`{"terms":[{"name":"t","start":"2026-09-01","end":"2027-01-20"}]}`}}); st != 303 || !strings.Contains(to, "cal.saved") {
		t.Fatalf("save calendar = %d %s", st, to)
	}
	health := f.signIn("health")
	if st, body := health.page("/cluster-rules"); st != 200 || strings.Contains(body, `id="rules"`) {
		t.Errorf("health sees the editor: %d", st)
	}
	if st, _, _ := health.gatePost("/cluster-rules", url.Values{"reset": {"1"}}); st != 403 {
		t.Errorf("health saves rules = %d", st)
	}
}
