package web

import (
	"context"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"epiguard/internal/calendar"
	"epiguard/internal/domain"
	"epiguard/internal/store"
)

type dailyData struct {
	Org       *domain.Org
	Summary   *store.Daily
	Date      string
	Slot      string
	Syndromes []domain.Syndrome
	Prev      string
	Next      string
	// DayNote says, when the date is not a school day of the unit, why.
	DayNote string
}

func (s *Server) pageDaily(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	date := q.Get("date")
	if date == "" {
		date = s.today()
	}
	org, err := s.db.Org(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	sum, err := s.db.DailySummary(r.Context(), rq.scope(), id, date, q.Get("slot"))
	if err != nil {
		return err
	}
	day, _ := time.Parse(time.DateOnly, date)
	d := dailyData{Org: org, Summary: sum, Date: date, Slot: q.Get("slot"), Syndromes: domain.AllSyndromes,
		Prev: day.AddDate(0, 0, -1).Format(time.DateOnly)}
	if next := day.AddDate(0, 0, 1).Format(time.DateOnly); next <= s.today() {
		d.Next = next
	}
	if d.DayNote, err = s.dayNote(r.Context(), rq, org, date); err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "daily", "daily.title", d, nil)
}

var _ = addMessages(map[string][2]string{
	"daily.title":      {"每日打卡汇总", "Daily completion"},
	"daily.expected":   {"应检", "Expected"},
	"daily.checked":    {"已检", "Checked in"},
	"daily.missing":    {"未检", "Missing"},
	"daily.absent":     {"缺勤", "Absent"},
	"daily.absent_ill": {"因病缺勤", "Absent ill"},
	"daily.abnormal":   {"异常（按症候群）", "Abnormal (by syndrome)"},
	"daily.unit":       {"单位", "Unit"},
	"daily.date":       {"日期", "Date"},
	"daily.slot":       {"时段", "Slot"},
	"daily.allslots":   {"全天", "All day"},
	"daily.prev":       {"前一天", "Previous day"},
	"daily.next":       {"后一天", "Next day"},
	"daily.rate":       {"完成率", "Completion"},
	"slot.morning":     {"晨检", "Morning"},
	"slot.noon":        {"午检", "Noon"},
	"slot.evening":     {"晚检", "Evening"},
	"nav.daily":        {"打卡汇总", "Completion"},
	"daily.noschool": {"%s 不是%s的上学日（%s）：这一天无需打卡和晨午检，也不发送未打卡提醒。",
		"%s is not a school day at %s (%s): no check-ins or morning/noon checks are expected, and no reminders are sent."},
})

// childRows renders the rows of the child-unit table of the completion
// page. It is one template call: written in the template, a school of
// 2,000 classes cost the page some 30,000 escaper calls, most of its time
// (SPEC §7.1: pages answer within 50 ms under the check-in load). Every
// value is escaped here, as the template would.
func childRows(children []*store.DailyFigures, syndromes []domain.Syndrome, date, slot string) template.HTML {
	q := html.EscapeString("?" + url.Values{"date": {date}, "slot": {slot}}.Encode())
	var b strings.Builder
	num := func(n int) {
		b.WriteString(`<td class="num">`)
		b.WriteString(strconv.Itoa(n))
		b.WriteString(`</td>`)
	}
	for _, c := range children {
		b.WriteString(`<tr><td><a href="/orgs/` + strconv.FormatInt(c.OrgID, 10) + `/daily` + q + `">` + html.EscapeString(c.Name) + `</a></td>`)
		num(c.Expected)
		num(c.CheckedIn)
		num(c.Missing)
		num(c.AbsentIll)
		for _, syn := range syndromes {
			num(c.Abnormal[syn])
		}
		b.WriteString("</tr>\n")
	}
	return template.HTML(b.String())
}

// dayNote says why date is not a school day of org, by the unit's school
// calendar, in the page's language; "" on school days and outside
// schools, where people check in when a campaign or a quarantine asks.
// Teachers and health officers otherwise read a holiday's empty roll as a
// class that forgot to check in.
func (s *Server) dayNote(ctx context.Context, rq *request, org *domain.Org, date string) (string, error) {
	cal, err := s.db.CalendarOf(ctx, org.Path, org.Kind)
	if err != nil || cal == nil {
		return "", err
	}
	info, err := cal.Describe(date)
	if err != nil || info.School {
		return "", nil
	}
	l := catalogs[rq.lang]
	why := l.T("cal.kind." + string(info.Kind))
	if info.Name != "" && info.Kind != calendar.KindWeekend {
		why += " · " + info.Name
	}
	return l.F("daily.noschool", date, org.Name, why), nil
}
