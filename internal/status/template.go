package status

import (
	"fmt"
	"strings"
)

// message is a parsed reason message: literal text and {{fact}}
// placeholders. It cannot run code; a placeholder only inserts the display
// text of one fact (see factText).
type message []segment

// segment is literal text, or the fact with this field index when fact >= 0.
type segment struct {
	text string
	fact int
}

// parseMessage splits s at {{name}} placeholders. Spaces inside the braces
// are allowed. It returns one problem per unknown or malformed
// placeholder. A single brace is ordinary text.
func parseMessage(s string) (message, []string) {
	var m message
	var problems []string
	for {
		open := strings.Index(s, "{{")
		if open < 0 {
			break
		}
		if open > 0 {
			m = append(m, segment{text: s[:open], fact: -1})
		}
		rest := s[open+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			problems = append(problems, "unclosed {{")
			s = ""
			break
		}
		name := strings.TrimSpace(rest[:end])
		if i, ok := factIndex[name]; ok {
			m = append(m, segment{fact: i})
		} else {
			problems = append(problems, fmt.Sprintf("unknown placeholder {{%s}}; facts are %s", name, strings.Join(factList, ", ")))
		}
		s = rest[end+2:]
	}
	if s != "" {
		m = append(m, segment{text: s, fact: -1})
	}
	return m, problems
}

// render fills the placeholders from f, in English when en is true.
func (m message) render(f *Facts, en bool) string {
	if len(m) == 1 && m[0].fact < 0 {
		return m[0].text
	}
	var b strings.Builder
	for _, seg := range m {
		if seg.fact < 0 {
			b.WriteString(seg.text)
		} else {
			b.WriteString(factText(f, seg.fact, en))
		}
	}
	return b.String()
}
