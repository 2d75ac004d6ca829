package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"epiguard/internal/domain"
	"epiguard/internal/store"
	"epiguard/internal/testdb"
)

var linkOnPage = regexp.MustCompile(`<p class="secret"><a href="[^"]*(/p/[A-Za-z0-9_-]+)">`)

// A health officer issues a guardian's link from the child's page; the
// link shows the guardian's children. When the school changes the
// guardian phone, the former guardian's link stops showing the child.
func TestGuardianLinks(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	ctx := context.Background()
	p1 := f.people["p1"]
	phone := "13900001111"
	if _, err := f.db.UpdatePerson(ctx, domain.System(), p1.ID, store.PersonUpdate{GuardianName: ptr("王妈妈"), GuardianPhone: &phone}); err != nil {
		t.Fatal(err)
	}
	gs, err := f.db.Guardians(ctx, domain.System(), p1.ID)
	if err != nil || len(gs) != 1 {
		t.Fatalf("guardians = %v, %v", gs, err)
	}
	g := gs[0]

	health := f.rollClient("health")
	_, page := health.page(fmt.Sprintf("/people/%d", p1.ID))
	if !strings.Contains(page, fmt.Sprintf(`action="/people/%d/guardians/%d/token"`, p1.ID, g.ID)) {
		t.Fatal("the person's page has no way to issue the guardian's link")
	}
	st, body := health.post(fmt.Sprintf("/people/%d/guardians/%d/token", p1.ID, g.ID), url.Values{})
	m := linkOnPage.FindStringSubmatch(body)
	if st != http.StatusOK || m == nil || !strings.Contains(body, "家长的新链接") {
		t.Fatalf("issue = %d, link found %v", st, m != nil)
	}
	parent := f.anon()
	if st, body := parent.page(m[1]); st != http.StatusOK || !strings.Contains(body, p1.Name) {
		t.Fatalf("guardian's link = %d, shows the child: %v", st, strings.Contains(body, p1.Name))
	}

	// The API, for an admin in scope; a teacher may not; another school's
	// person is not found.
	var out struct{ Token, URL string }
	admin := f.signIn("admin")
	if st := admin.do("POST", fmt.Sprintf("/api/v1/people/%d/guardians/%d/token", p1.ID, g.ID), nil, &out); st != 200 || out.Token == "" {
		t.Fatalf("API issue = %d", st)
	}
	if st := f.signIn("teacher").do("POST", fmt.Sprintf("/api/v1/people/%d/guardians/%d/token", p1.ID, g.ID), nil, nil); st != 403 {
		t.Errorf("teacher issues a guardian link: %d", st)
	}
	if st := admin.do("POST", fmt.Sprintf("/api/v1/people/%d/guardians/%d/token", f.people["p4"].ID, g.ID), nil, nil); st != 404 {
		t.Errorf("another district's person: %d", st)
	}
	if st := admin.do("POST", fmt.Sprintf("/api/v1/people/%d/guardians/%d/token", f.people["p2"].ID, g.ID), nil, nil); st != 404 {
		t.Errorf("a guardian not of this person: %d", st)
	}

	// The guardian phone changes: the old link shows the child no more.
	other := "13900002222"
	if _, err := f.db.UpdatePerson(ctx, domain.System(), p1.ID, store.PersonUpdate{GuardianPhone: &other}); err != nil {
		t.Fatal(err)
	}
	if st, _ := parent.page("/p/" + out.Token); st != http.StatusNotFound {
		t.Errorf("the former guardian's link after the phone changed = %d, want 404", st)
	}
	if _, err := f.db.HolderByToken(ctx, out.Token); domain.ErrorCode(err) != domain.ENotFound {
		t.Errorf("holder of the former guardian's link: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
