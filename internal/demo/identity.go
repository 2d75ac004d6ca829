package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"epiguard/internal/domain"
)

// regions are GB/T 2260 county codes for the first six digits of identity
// numbers, weighted: most people in the demo district were registered in
// the city (the first code), the rest elsewhere, as in any Chinese city.
var regions = []struct {
	code   string
	weight int
}{
	{"330106", 55}, // 杭州市西湖区: the "home" region of the demo district
	{"110105", 3}, {"110108", 2}, {"310115", 3}, {"310104", 2}, {"440305", 3}, {"440106", 2},
	{"320102", 3}, {"420106", 3}, {"510107", 3}, {"430104", 3}, {"410105", 3}, {"370102", 2},
	{"610113", 2}, {"500103", 2}, {"350203", 2}, {"340104", 3}, {"360102", 2}, {"130102", 2},
}

var regionTotal = func() int {
	n := 0
	for _, r := range regions {
		n += r.weight
	}
	return n
}()

// Phone numbers come from the 170-0000-xxxx block. Mainland China reserves
// no mobile range for fiction (nothing like North America's 555-01xx), so
// the demo uses a block that is easy to recognise as made up, at the start
// of the virtual-operator segment 170; that no subscriber holds such a
// number cannot be guaranteed, so nothing should ever dial or text them.
// They pass domain.ValidMobile. The block holds 10,000 numbers; the demo
// uses about 6,400.
const (
	phonePrefix = "1700000"
	phoneBlock  = 10000
)

// builder draws everything random for the demo data set from one seeded
// generator and remembers what must stay unique.
type builder struct {
	rng *rand.Rand
	// ids holds the identity numbers handed out, which must be unique.
	ids map[string]bool
	// phones is a shuffled list of the block's numbers, handed out in order,
	// so every number is used at most once.
	phones    []int
	nextPhone int
	units     []*unit
}

func newBuilder(rng *rand.Rand) *builder {
	return &builder{rng: rng, ids: map[string]bool{}, phones: rng.Perm(phoneBlock)}
}

// phone returns a mobile number nobody in the data set has yet.
func (b *builder) phone() string {
	if b.nextPhone == len(b.phones) {
		// The data set has fixed sizes; only a change to them can get here,
		// and the tests run the whole build.
		panic("demo: the 170-0000 phone block is used up")
	}
	n := b.phones[b.nextPhone]
	b.nextPhone++
	return fmt.Sprintf("%s%04d", phonePrefix, n)
}

// idNumber returns a new 18-character resident identity number: a region
// code, the birth date, a sequence code whose last digit is odd for men and
// even for women (as GB 11643 prescribes), and the check character.
func (b *builder) idNumber(gender string, birth time.Time) string {
	for {
		n := b.rng.IntN(regionTotal)
		region := regions[0].code
		for _, r := range regions {
			if n < r.weight {
				region = r.code
				break
			}
			n -= r.weight
		}
		last := 2 * b.rng.IntN(5) // even: women
		if gender == "M" {
			last++
		}
		first17 := fmt.Sprintf("%s%s%02d%d", region, birth.Format("20060102"), b.rng.IntN(100), last)
		id := first17 + string(domain.IDNumberCheckChar(first17))
		if !b.ids[id] {
			b.ids[id] = true
			return id
		}
	}
}

// gender returns "M" with the given per cent chance, else "F".
func (b *builder) gender(malePercent int) string {
	if b.rng.IntN(100) < malePercent {
		return "M"
	}
	return "F"
}

// between returns a day from first to last, both included.
func (b *builder) between(first, last time.Time) time.Time {
	days := int(last.Sub(first).Hours()/24) + 1
	return first.AddDate(0, 0, b.rng.IntN(days))
}

// bornAged returns a birth date for someone who is age years old on the
// reference day.
func (b *builder) bornAged(age int) time.Time {
	last := refDay.AddDate(-age, 0, 0)
	return b.between(last.AddDate(-1, 0, 1), last)
}

// weighted returns an index into weights, drawn with chances proportional
// to them.
func (b *builder) weighted(weights []int) int { return weighted(b.rng, weights) }

// weighted returns an index into weights, drawn from rng with chances
// proportional to them.
func weighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// percent reports true with the given per cent chance.
func (b *builder) percent(p int) bool { return b.rng.IntN(100) < p }

// rangeInt returns an integer from lo to hi, both included.
func (b *builder) rangeInt(lo, hi int) int { return lo + b.rng.IntN(hi-lo+1) }

// name returns a full name: the surname (drawn when empty) and a given name
// fitting the gender and the birth year.
func (b *builder) name(surname, gender string, birth time.Time) string {
	if surname == "" {
		surname = pickSurname(b.rng)
	}
	return surname + givenName(b.rng, gender, birth.Year())
}
