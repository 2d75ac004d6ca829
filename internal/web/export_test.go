package web

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
