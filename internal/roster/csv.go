package roster

import (
	"encoding/csv"
	"errors"
	"strings"
)

// records yields one record of a file per call: its 1-based line and its
// cells. It returns io.EOF after the last record. The cells may be reused by
// the next call.
type records func() (line int, cells []string, err error)

// csvRecords reads CSV text. Quotes are lazy and records may have any number
// of fields because spreadsheets and hand edits produce both; the line of a
// record is the physical line where it starts, so it matches what an editor
// shows even when a quoted cell spans lines.
func csvRecords(text string) records {
	// Classic Mac Excel ends lines with a bare CR, which encoding/csv keeps
	// inside the field.
	if !strings.Contains(text, "\n") {
		text = strings.ReplaceAll(text, "\r", "\n")
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffComma(text)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return func() (int, []string, error) {
		cells, err := r.Read()
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			return 0, nil, invalid("cannot read CSV at line %d", pe.StartLine)
		}
		if err != nil {
			return 0, nil, err
		}
		line, _ := r.FieldPos(0)
		return line, cells, nil
	}
}
