package notify

import (
	"fmt"
	"maps"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// FieldError says which part of a Target is wrong, so a settings form can
// show the message beside the field.
type FieldError struct {
	Field   string // "kind", "url", "secret", "smtp.addr", "smtp.from", "smtp.to", "smtp.username", "smtp.password", "smtp.tls"
	Message string
}

func (e *FieldError) Error() string { return "notify: " + e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// The vendors' webhook hosts and paths, as their documentation gives them:
//
//	WeCom:    https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
//	DingTalk: https://oapi.dingtalk.com/robot/send?access_token=TOKEN
//	Feishu:   https://open.feishu.cn/open-apis/bot/v2/hook/ID
//	          (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/ID)
const (
	wecomHost     = "qyapi.weixin.qq.com"
	wecomPath     = "/cgi-bin/webhook/send"
	dingtalkHost  = "oapi.dingtalk.com"
	dingtalkPath  = "/robot/send"
	feishuHost    = "open.feishu.cn"
	larkHost      = "open.larksuite.com"
	feishuPrefix  = "/open-apis/bot/v2/hook/"
	maxURLLen     = 2048
	maxSecretLen  = 256
	maxRecipients = 50
)

// Validate checks a target strictly: vendor robots on their own https host
// and path, webhooks on https, e-mail with parseable addresses and a sane
// TLS mode. It returns a *FieldError.
func Validate(t Target) error {
	return validate(t, false)
}

// Validate checks t as the package-level Validate does, but also accepts
// loopback URLs when s.AllowLoopback is set.
func (s *Sender) Validate(t Target) error {
	return validate(t, s.AllowLoopback)
}

func validate(t Target, loopback bool) error {
	if len(t.Secret) > maxSecretLen || hasControl(t.Secret) {
		return fieldErr("secret", "must be at most %d printable characters", maxSecretLen)
	}
	switch t.Kind {
	case WeCom:
		if t.Secret != "" {
			return fieldErr("secret", "WeCom group robots have no signing secret; leave it empty")
		}
		u, err := robotURL(t.URL, wecomHost, loopback)
		if err != nil {
			return err
		}
		if u.Path != wecomPath {
			return fieldErr("url", "path must be %s", wecomPath)
		}
		return onlyQuery(u, "key")
	case DingTalk:
		if t.Secret != "" && !strings.HasPrefix(t.Secret, "SEC") {
			return fieldErr("secret", `a DingTalk signing secret starts with "SEC"`)
		}
		u, err := robotURL(t.URL, dingtalkHost, loopback)
		if err != nil {
			return err
		}
		if u.Path != dingtalkPath {
			return fieldErr("url", "path must be %s", dingtalkPath)
		}
		return onlyQuery(u, "access_token")
	case Feishu:
		u, err := robotURL(t.URL, feishuHost, loopback)
		if err != nil {
			if u2, err2 := robotURL(t.URL, larkHost, loopback); err2 == nil {
				u, err = u2, nil
			}
		}
		if err != nil {
			return err
		}
		id, ok := strings.CutPrefix(u.Path, feishuPrefix)
		if !ok || !isToken(id) {
			return fieldErr("url", "path must be %sID", feishuPrefix)
		}
		if u.RawQuery != "" {
			return fieldErr("url", "must have no query")
		}
		return nil
	case Webhook:
		return validateWebhookURL(t.URL, loopback)
	case Email:
		return validateSMTP(t.SMTP)
	}
	return fieldErr("kind", "unknown channel %q", t.Kind)
}

// parseURL does the checks every URL gets: length, no control characters or
// spaces, absolute, no user info (credentials belong in Secret), no fragment.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fieldErr("url", "is required")
	}
	if len(raw) > maxURLLen || hasControl(raw) || strings.ContainsAny(raw, " \t") {
		return nil, fieldErr("url", "must be at most %d characters without spaces", maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fieldErr("url", "is not an absolute URL")
	}
	if u.User != nil {
		return nil, fieldErr("url", "must not contain a user name or password")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, fieldErr("url", "must not contain a fragment")
	}
	return u, nil
}

// robotURL checks a vendor robot URL's scheme and host.
func robotURL(raw, host string, loopback bool) (*url.URL, error) {
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	if loopback && isLoopbackHost(u.Hostname()) && (u.Scheme == "http" || u.Scheme == "https") {
		return u, nil
	}
	if u.Scheme != "https" {
		return nil, fieldErr("url", "must start with https://")
	}
	if !strings.EqualFold(u.Host, host) {
		return nil, fieldErr("url", "host must be %s", host)
	}
	return u, nil
}

// onlyQuery requires exactly one query parameter, name, holding a token.
func onlyQuery(u *url.URL, name string) error {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fieldErr("url", "has a malformed query")
	}
	if len(q) != 1 || len(q[name]) != 1 || !isToken(q.Get(name)) {
		return fieldErr("url", "must end with ?%s= and the robot's token, nothing else", name)
	}
	return nil
}

// isToken accepts the characters the vendors use in keys, access tokens
// and hook ids (hex, UUIDs, base64url-ish).
func isToken(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

func validateWebhookURL(raw string, loopback bool) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if loopback && isLoopbackHost(host) && (u.Scheme == "http" || u.Scheme == "https") {
		return nil
	}
	// Health data crosses the network in the body: only https.
	if u.Scheme != "https" {
		return fieldErr("url", "must start with https://")
	}
	if isLoopbackHost(host) {
		return fieldErr("url", "must not point at this machine")
	}
	// Link-local covers cloud metadata services (169.254.169.254); private
	// ranges stay allowed, since a school's own systems live there.
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && !dialable(ip, false) {
		return fieldErr("url", "must not point at a link-local, multicast or unspecified address")
	}
	return nil
}

func validateSMTP(c SMTPConfig) error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || hasControl(c.Addr) {
		return fieldErr("smtp.addr", "must be host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fieldErr("smtp.addr", "port must be 1 to 65535")
	}
	switch c.TLS.orDefault() {
	case TLSStartTLS, TLSOpportunistic, TLSImplicit:
	case TLSNone:
		if !isLoopbackHost(host) {
			return fieldErr("smtp.tls", `"none" is only for a relay on this machine (localhost); use "starttls" or "tls"`)
		}
	default:
		return fieldErr("smtp.tls", "must be starttls, opportunistic, tls or none")
	}
	if hasControl(c.Username) || len(c.Username) > 256 {
		return fieldErr("smtp.username", "must be at most 256 printable characters")
	}
	if hasControl(c.Password) || len(c.Password) > 256 {
		return fieldErr("smtp.password", "must be at most 256 printable characters")
	}
	if c.Password != "" && c.Username == "" {
		return fieldErr("smtp.username", "is required with a password")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fieldErr("smtp.from", "is not an e-mail address")
	}
	if len(c.To) == 0 {
		return fieldErr("smtp.to", "needs at least one recipient")
	}
	if len(c.To) > maxRecipients {
		return fieldErr("smtp.to", "has more than %d recipients", maxRecipients)
	}
	for _, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return fieldErr("smtp.to", "%q is not an e-mail address", to)
		}
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// hasControl reports ASCII control characters, which have no place in a
// URL, a secret or an SMTP parameter (CR/LF would inject protocol lines).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// Mask returns t fit to show back on a settings page: the URL's key, access
// token or hook id, the secret and the SMTP password are replaced by "****"
// and at most the last four characters, enough to tell two robots apart.
// A masked target cannot send.
func Mask(t Target) Target {
	t.URL = maskURL(t.Kind, t.URL)
	t.Secret = maskTail(t.Secret)
	t.SMTP.Password = maskTail(t.SMTP.Password)
	t.SMTP.To = append([]string(nil), t.SMTP.To...)
	return t
}

// maskTail shows the last four characters of a long value and nothing of a
// short one, where four characters would be too large a share.
func maskTail(s string) string {
	if s == "" {
		return ""
	}
	if len(s) < 12 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}

// maskURL hides every query value and, for Feishu and generic webhooks, the
// path segments that look like tokens. An unparseable URL is hidden whole.
func maskURL(kind Kind, raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "****"
	}
	u.User = nil
	u.Fragment = ""
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = "****"
		} else {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(q)) {
				// The signature and its timestamp change every request and
				// would only add noise to an error message.
				if kind == DingTalk && (k == "sign" || k == "timestamp") {
					continue
				}
				for _, v := range q[k] {
					parts = append(parts, url.QueryEscape(k)+"="+maskTail(v))
				}
			}
			u.RawQuery = strings.Join(parts, "&")
		}
	}
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		// Feishu's hook id is the last segment; generic webhooks often
		// carry a token in the path (…/hooks/T0/B0/XXXX).
		if (kind == Feishu && i == len(segs)-1) || (kind != Feishu && len(s) > 16) {
			segs[i] = maskTail(s)
		}
	}
	u.RawPath = ""
	u.Path = strings.Join(segs, "/")
	out := u.String()
	// url.String escapes '*'; keep the mask readable.
	return strings.ReplaceAll(out, "%2A", "*")
}
