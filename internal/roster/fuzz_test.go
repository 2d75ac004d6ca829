package roster

import (
	"bytes"
	"cmp"
	"slices"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"epiguard/internal/domain"
)

// FuzzParse checks that no input makes Parse panic or break its contract:
// errors are EInvalid, rows are never more than the rows seen, accepted rows
// have no problems, and problems are sorted by line.
func FuzzParse(f *testing.F) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(chineseCSV)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(englishCSV))
	f.Add([]byte(chineseCSV))
	f.Add([]byte("\uFEFF" + chineseCSV))
	f.Add([]byte(gbk))
	f.Add([]byte("external_id;name;tags\r\nS1;\"张\n三\";a,b\r\nS1;李四;x\r\n"))
	f.Add([]byte("学号,姓名,出生日期,身份证号\r\nS1,张三,40242," + id20100305a + "\r\nS2,,2010-02-30,1\r\n"))
	f.Add(xlsxFile(f, "Sheet1", [][]any{
		{"学号", "姓名", "出生日期", "手机号"},
		{"S1", "张三", time.Date(2010, 3, 5, 0, 0, 0, 0, time.UTC), 13812345678},
		nil,
		{"S2", "李四", "2010/3/5", "1.3812345678E10"},
	}))

	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			if _, ok := err.(*domain.Error); !ok || domain.ErrorCode(err) != domain.EInvalid {
				t.Fatalf("error %#v is not an EInvalid *domain.Error", err)
			}
			return
		}
		if len(res.Rows) > res.Total {
			t.Fatalf("%d rows from %d seen", len(res.Rows), res.Total)
		}
		if !slices.IsSortedFunc(res.Problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) }) {
			t.Fatalf("problems not sorted by line: %v", res.Problems)
		}
		rejected := make(map[int]bool)
		for _, p := range res.Problems {
			rejected[p.Line] = true
		}
		for _, r := range res.Rows {
			if rejected[r.Line] {
				t.Fatalf("line %d has problems but is in Rows", r.Line)
			}
			if r.ExternalID == "" || r.Name == "" {
				t.Fatalf("accepted row without external id or name: %+v", r)
			}
		}
	})
}
