package bench

import (
	"encoding/json"
	"epiguard/internal/domain"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Checkin is the body of POST /api/v1/checkins (SPEC §4.2): the server's
// own type, so that the ceiling handler decodes exactly what it does.
type Checkin = domain.CheckinInput

// ErrExhausted ends a run that has used every (person, date, slot).
var ErrExhausted = errors.New("bench: every (person, date, slot) has been used; run shorter or with more people")

// slots in the order the walk uses them.
var slots = [...]string{"morning", "noon", "evening"}

// Checkins walks (person, date, slot) so that no two bodies share one:
// every person in the morning of the first date, then at noon, then in
// the evening, then the same on the next date. It is safe for concurrent
// use. Fields other than the key are drawn from a hash of the position,
// so a walk is the same on every run.
type Checkins struct {
	people []int64
	dates  []string
	prefix string // of client_id
	wrap   bool
	next   atomic.Int64
}

// NewCheckins walks people over dates (newest first, each at most seven
// days before the server's today). Client ids are prefix-N. With wrap,
// the walk starts again at the end instead of failing with ErrExhausted:
// for the ceiling, which stores nothing.
func NewCheckins(people []int64, dates []string, prefix string, wrap bool) *Checkins {
	return &Checkins{people: people, dates: dates, prefix: prefix, wrap: wrap}
}

// Dates returns today and the days before it in loc, n in all, newest first.
func Dates(now time.Time, loc *time.Location, n int) []string {
	d := now.In(loc)
	out := make([]string, n)
	for i := range out {
		out[i] = d.AddDate(0, 0, -i).Format(time.DateOnly)
	}
	return out
}

// Capacity is how many bodies the walk holds before it repeats.
func (g *Checkins) Capacity() int64 {
	return int64(len(g.people)) * int64(len(slots)) * int64(len(g.dates))
}

// Used is how many bodies have been handed out.
func (g *Checkins) Used() int64 { return g.next.Load() }

// Next returns the next body as JSON.
func (g *Checkins) Next() ([]byte, error) {
	c, err := g.NextCheckin()
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// NextCheckin returns the next body.
func (g *Checkins) NextCheckin() (*Checkin, error) {
	n := g.next.Add(1) - 1
	k := n
	if total := g.Capacity(); total == 0 {
		return nil, ErrExhausted
	} else if k >= total {
		if !g.wrap {
			return nil, ErrExhausted
		}
		k %= total
	}
	p := int64(len(g.people))
	c := g.fill(mix(uint64(k)))
	c.PersonID = g.people[k%p]
	c.Slot = slots[(k/p)%int64(len(slots))]
	c.Date = g.dates[k/(p*int64(len(slots)))]
	c.ClientID = fmt.Sprintf("%s-%d", g.prefix, n)
	return c, nil
}

// fill draws the health fields the way a school's day looks: almost
// everyone well and on campus, about one in fifty with a fever and a
// respiratory or gastro-intestinal complaint.
func (g *Checkins) fill(h uint64) *Checkin {
	temp := 36.0 + float64(h%12)/10 // 36.0–37.1
	onCampus := h>>8%10 != 0
	c := &Checkin{TemperatureC: &temp, Symptoms: []string{}, OnCampus: &onCampus, RegionCode: "110105",
		Address: addresses[h>>16%uint64(len(addresses))], Source: "api"}
	switch h >> 24 % 100 {
	case 0:
		temp = 37.6 + float64(h>>32%14)/10 // 37.6–38.9
		c.Symptoms = []string{"fever", "cough", "sore_throat"}
	case 1:
		c.Symptoms = []string{"diarrhea", "vomiting"}
		c.Note = "昨晚开始腹泻"
	case 2:
		c.Symptoms = []string{"runny_nose"}
	}
	return c
}

var addresses = []string{
	"北京市朝阳区望京街道花家地北里3号楼", "北京市朝阳区将台路甲2号院", "北京市朝阳区酒仙桥路14号",
	"北京市朝阳区南湖西园二区", "北京市朝阳区阜通东大街6号",
}

// mix is SplitMix64's finaliser: a cheap, well-spread hash of a position.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Ceiling is the bare handler the real server is measured against: it
// checks the content type and decodes the same JSON the same way (size
// limit, unknown fields rejected), then answers 200 with a small JSON
// object, touching no database.
func Ceiling() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "Content-Type must be application/json", http.StatusBadRequest)
			return
		}
		var in Checkin
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			http.Error(w, "malformed JSON", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `{"id":%d,"status":"green","reasons":[]}`+"\n", in.PersonID)
	})
}
