package notify

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

const ellipsis = "…"

// Truncate returns s cut to at most max bytes, on a UTF-8 boundary, ending
// in "…" when something was cut. Invalid UTF-8 in s becomes U+FFFD first,
// so the result is always valid UTF-8: the vendors reject a body that is
// not.
func Truncate(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return cut(s, max)
}

// cut is Truncate for text already known to be valid UTF-8; the renderers
// clean their text once and then cut it many times while fitting.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n := max - len(ellipsis)
	tail := ellipsis
	if n < 0 {
		// No room for the ellipsis: the bare prefix.
		n, tail = max, ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + tail
}

// plain cleans text for any channel: CRLF and CR become LF, other control
// characters (except tab) go, invalid UTF-8 becomes U+FFFD, and the ends are
// trimmed.
func plain(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// oneLine is plain text folded onto one line, for titles and subjects.
func oneLine(s string) string {
	return strings.Join(strings.Fields(plain(s)), " ")
}

// mdEscaper neutralises the markdown and HTML that could forge a link, a
// mention or a coloured warning inside a robot message: the brackets become
// their full-width forms, which read the same in Chinese text.
func mdText(s string) string {
	return strings.NewReplacer("[", "［", "]", "］", "<", "＜", ">", "＞", "`", "｀").Replace(s)
}

// maxLinkLen drops absurd links rather than cut them into broken ones.
const maxLinkLen = 1024

// safeLink returns link if it is an absolute http(s) URL, else "".
func safeLink(link string) string {
	link = strings.TrimSpace(link)
	if link == "" || len(link) > maxLinkLen || hasControl(link) {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return link
}

// mdLink escapes what would end a markdown link's target early.
func mdLink(link string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(link)
}

// words are the few phrases Send adds itself.
type words struct {
	digest func(n int) string // heading of a digest
	open   string             // a link's label
}

func (s *Sender) words() words {
	if s.Lang == "en" {
		return words{
			digest: func(n int) string { return strconv.Itoa(n) + " notifications" },
			open:   "Open",
		}
	}
	return words{
		digest: func(n int) string { return strconv.Itoa(n) + " 条通知" },
		open:   "查看详情",
	}
}

// caps bounds a title, a body and a link in bytes while a message is
// fitted into a vendor's size limit. A link longer than its cap is left
// out: half a link is a broken one.
type caps struct{ title, body, link int }

// capSteps are tried in order until the rendering fits: first everything,
// then ever shorter bodies, then shorter titles, and only at the end
// without long links. Every message keeps at least the start of its title,
// so a digest of up to LimitFor(kind).MaxDigest messages never silently
// drops one.
func capSteps(max int) []caps {
	const l = maxLinkLen
	return []caps{{max, max, l}, {200, 2000, l}, {200, 1000, l}, {120, 500, l}, {120, 250, l},
		{100, 120, l}, {80, 60, l}, {60, 0, l}, {60, 0, 200}, {30, 0, 0}}
}

// capLink returns a cleaned link if it is within limit, else "".
func capLink(link string, limit int) string {
	if len(link) > limit {
		return ""
	}
	return link
}

// cleaned returns copies of msgs with the title on one line, the body as
// plain text, both passed through escape (for markdown), and the link kept
// only when safe: done once, before fit tries its caps.
func cleaned(msgs []Message, escape func(string) string) []Message {
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		m.Title = escape(oneLine(m.Title))
		m.Body = escape(plain(m.Body))
		m.Link = safeLink(m.Link)
		out[i] = m
	}
	return out
}

// fit renders with successively tighter caps until the result is at most
// max bytes (as measured by size); as a last resort the tightest rendering
// is cut by shrink.
func fit[T any](max int, render func(caps) T, size func(T) int, shrink func(T) T) T {
	var out T
	for _, c := range capSteps(max) {
		out = render(c)
		if size(out) <= max {
			return out
		}
	}
	return shrink(out)
}

// mdStyle is where WeCom and DingTalk markdown differ.
type mdStyle struct {
	br   string // a line break inside a paragraph
	font bool   // WeCom's <font color="comment"> for the time
}

// markdown renders msgs as WeCom/DingTalk markdown within max bytes.
//
// One message:
//
//	**Title** 05-06 08:30
//	Body
//	[查看详情](link)
//
// A digest:
//
//	**3 条通知**
//
//	**1. Title** 05-06 08:30
//	Body
//	[查看详情](link)
//
//	**2. …
func (s *Sender) markdown(msgs []Message, max int, st mdStyle) string {
	w := s.words()
	msgs = cleaned(msgs, mdText)
	render := func(c caps) string {
		var b strings.Builder
		if len(msgs) > 1 {
			b.WriteString("**" + w.digest(len(msgs)) + "**\n\n")
		}
		for i, m := range msgs {
			if i > 0 {
				b.WriteString("\n\n")
			}
			num := ""
			if len(msgs) > 1 {
				num = strconv.Itoa(i+1) + ". "
			}
			b.WriteString("**" + num + cut(m.Title, c.title) + "**")
			if !m.At.IsZero() {
				at := m.At.Format("01-02 15:04")
				if st.font {
					at = `<font color="comment">` + at + `</font>`
				}
				b.WriteString(" " + at)
			}
			if body := cut(m.Body, c.body); body != "" {
				b.WriteString(st.br + strings.ReplaceAll(body, "\n", st.br))
			}
			if link := capLink(m.Link, c.link); link != "" {
				fmt.Fprintf(&b, "%s[%s](%s)", st.br, w.open, mdLink(link))
			}
		}
		return b.String()
	}
	return fit(max, render, func(s string) int { return len(s) }, func(s string) string { return Truncate(s, max) })
}

// text renders msgs as plain text, for e-mail.
func (s *Sender) text(msgs []Message) string {
	w := s.words()
	var b strings.Builder
	if len(msgs) > 1 {
		b.WriteString(w.digest(len(msgs)) + "\n\n")
	}
	for i, m := range msgs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		if len(msgs) > 1 {
			b.WriteString(strconv.Itoa(i+1) + ". ")
		}
		b.WriteString(oneLine(m.Title))
		if !m.At.IsZero() {
			b.WriteString("  " + m.At.Format("2006-01-02 15:04"))
		}
		b.WriteString("\n")
		if body := plain(m.Body); body != "" {
			b.WriteString("\n" + body + "\n")
		}
		if link := safeLink(m.Link); link != "" {
			b.WriteString("\n" + w.open + ": " + link + "\n")
		}
	}
	return b.String()
}

// heading is a request's one-line title: the message's own, or the digest's.
func (s *Sender) heading(msgs []Message) string {
	if len(msgs) == 1 {
		return oneLine(msgs[0].Title)
	}
	return s.words().digest(len(msgs))
}
