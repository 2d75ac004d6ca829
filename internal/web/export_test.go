package web

import (
	"io/fs"
	"time"
)

// HasMessage is exported for the tests of package web_test.
func HasMessage(key string) bool { return hasMessage(key) }

// SymptomCells is exported for the tests of package web_test.
func SymptomCells(personID int64, codes, labels []string, checked map[string]bool) string {
	cols := make([]labelled, len(codes))
	for i := range codes {
		cols[i] = labelled{codes[i], labels[i]}
	}
	return string(symptomCells(personID, cols, checked))
}

// ChildRows is exported for the tests of package web_test.
var ChildRows = childRows

// ViewTime is view.Time for the tests of package web_test.
func ViewTime(loc *time.Location, lang string, t time.Time) string {
	return view{L: catalogs[lang], loc: loc}.Time(t)
}

// Templates returns the page templates' names and texts.
func Templates() map[string]string {
	out := map[string]string{}
	names, _ := fs.Glob(assets, "templates/*.html")
	for _, n := range names {
		b, _ := fs.ReadFile(assets, n)
		out[n] = string(b)
	}
	return out
}
