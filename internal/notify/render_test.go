package notify

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 8, "hello…"},
		{"疫情防控", 12, "疫情防控"},
		{"疫情防控", 11, "疫情…"},        // 6 + 3 bytes; a third 疫 would not fit with the ellipsis
		{"疫情防控", 9, "疫情…"},         // exactly
		{"疫情防控", 8, "疫…"},          // 情 would be cut in half
		{"疫情防控", 3, "…"},           // only the ellipsis fits
		{"疫情防控", 2, ""},            // not even that: no half rune
		{"abc", 2, "ab"},           // bare prefix when the ellipsis does not fit
		{"abc", 0, ""},             //
		{"a\xffb", 10, "a\uFFFDb"}, // invalid UTF-8 repaired
		{"👨‍👩‍👧 family", 8, "👨…"},
	} {
		if got := Truncate(c.in, c.max); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func checkTruncate(t *testing.T, s string, max int) {
	got := Truncate(s, max)
	if !utf8.ValidString(got) {
		t.Fatalf("invalid UTF-8: %q", got)
	}
	if max >= 0 && len(got) > max {
		t.Fatalf("Truncate(%q, %d): %d bytes", s, max, len(got))
	}
	valid := strings.ToValidUTF8(s, "\uFFFD")
	if len(valid) <= max {
		if got != valid {
			t.Fatalf("cut a string that fitted: %q -> %q", s, got)
		}
		return
	}
	if !strings.HasPrefix(valid, strings.TrimSuffix(got, ellipsis)) {
		t.Fatalf("not a prefix: %q of %q", got, s)
	}
}

func FuzzTruncate(f *testing.F) {
	for _, s := range []string{"", "hello world", "疫情防控 晨午检", "a\xffb\xc3", "👨‍👩‍👧"} {
		for _, n := range []int{0, 1, 3, 4, 7, 100} {
			f.Add(s, n)
		}
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 1 << 12
		checkTruncate(t, s, max)
	})
}

// FuzzMarkdown checks what the robots would check on any message: the
// WeCom content fits in 4096 bytes, every rendering is valid UTF-8, and no
// markup from the message text survives.
func FuzzMarkdown(f *testing.F) {
	f.Add("标题", "正文\n第二行", "https://epiguard.example/a/1", 1)
	f.Add(strings.Repeat("长", 500), strings.Repeat("x[y](z)<b>", 200), "javascript:x", 5)
	f.Add("\xff\xfe", "\r\n\x00", "http://a b", 12)
	f.Fuzz(func(t *testing.T, title, body, link string, n int) {
		n = 1 + int(uint(n)%10) // up to the robots' MaxDigest
		ms := make([]Message, n)
		for i := range ms {
			ms[i] = Message{ID: "x", Title: title, Body: body, Link: link, At: t0}
		}
		s := &Sender{}
		for _, st := range []mdStyle{{br: "\n", font: true}, {br: "  \n"}} {
			out := s.markdown(ms, wecomMaxContent, st)
			if len(out) > wecomMaxContent || !utf8.ValidString(out) {
				t.Fatalf("%d bytes, valid %v", len(out), utf8.ValidString(out))
			}
			ours := strings.NewReplacer(`<font color="comment">`, "", "</font>", "", "[查看详情](", "")
			if strings.ContainsAny(ours.Replace(out), "<>[]") {
				t.Fatalf("markup survived: %q", out)
			}
			for i := 1; n > 1 && i <= n; i++ {
				if !strings.Contains(out, "**"+strconv.Itoa(i)+". ") {
					t.Fatalf("message %d dropped from the digest: %q", i, out)
				}
			}
		}
		p := s.feishuPost(ms)
		b, err := marshalJSON(p)
		if err != nil || len(b) > feishuMaxBody {
			t.Fatalf("feishu post %d bytes, %v", len(b), err)
		}
		if txt := s.text(ms); !utf8.ValidString(txt) {
			t.Fatal("e-mail text not valid UTF-8")
		}
	})
}
