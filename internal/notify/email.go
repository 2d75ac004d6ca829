package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// E-mail. One SMTP transaction per Send: EHLO, STARTTLS per the target's
// TLS mode, AUTH PLAIN when a user name is given, MAIL, RCPT for each
// recipient, DATA, QUIT. The message is
//
//	From: EpiGuard <noreply@example.edu.cn>
//	To: a@example.edu.cn, b@example.edu.cn
//	Subject: =?UTF-8?b?…?=                  (RFC 2047 when not plain ASCII)
//	Date: <send time, RFC 5322>
//	Message-ID: <epiguard.<id>@<From's domain>>
//	MIME-Version: 1.0
//	Content-Type: text/plain; charset=UTF-8
//	Content-Transfer-Encoding: base64
//	Auto-Submitted: auto-generated        (RFC 3834: no auto-replies, please)
//	X-EpiGuard-Delivery: <id>
//
// The Message-ID is derived from the delivery id, so a resend after a lost
// reply carries the same one and mail systems can drop the duplicate.
// net/smtp's DATA writer does the dot-stuffing. A 4xx reply is retryable, a
// 5xx permanent; once DATA is accepted the message counts as delivered even
// if QUIT fails.

func (s *Sender) sendEmail(ctx context.Context, c SMTPConfig, msgs []Message) error {
	raw, err := s.emailMessage(c, msgs)
	if err != nil {
		return &DeliveryError{Kind: Email, Code: "invalid_target", Msg: err.Error(), Err: err}
	}
	host, _, _ := net.SplitHostPort(c.Addr) // Validate checked the form
	mode := c.TLS.orDefault()

	// Deadlines run on the real clock; s.Now may be a test's fixed one.
	deadline := time.Now().Add(smtpTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dialCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	conn, err := s.dialSMTP(dialCtx, c.Addr, host, mode)
	if err != nil {
		return smtpError("connect", err)
	}
	// net/smtp knows no context: a cancelled context closes the connection
	// under it, and a deadline bounds every read and write.
	stop := context.AfterFunc(dialCtx, func() { conn.Close() })
	defer stop()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return smtpError("connect", err)
	}

	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return smtpError("greeting", err)
	}
	defer cl.Close()
	if err := cl.Hello(s.helloName()); err != nil {
		return smtpError("ehlo", err)
	}
	if mode == TLSStartTLS || mode == TLSOpportunistic {
		if ok, _ := cl.Extension("STARTTLS"); ok {
			if err := cl.StartTLS(s.tlsConfig(host)); err != nil {
				return smtpError("starttls", err)
			}
		} else if mode == TLSStartTLS {
			return &DeliveryError{Kind: Email, Code: "starttls_unavailable",
				Msg: "the server does not offer STARTTLS; choose TLS mode tls, or opportunistic if the network is trusted"}
		}
	}
	if c.Username != "" {
		if ok, _ := cl.Extension("AUTH"); !ok {
			return &DeliveryError{Kind: Email, Code: "auth_unavailable", Msg: "the server does not offer AUTH"}
		}
		// PlainAuth itself refuses to send the password over an unencrypted
		// connection to anything but localhost.
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return smtpError("auth", err)
		}
	}
	from, _ := mail.ParseAddress(c.From)
	if err := cl.Mail(from.Address); err != nil {
		return smtpError("mail", err)
	}
	for _, to := range c.To {
		a, _ := mail.ParseAddress(to)
		if err := cl.Rcpt(a.Address); err != nil {
			return smtpError("rcpt", err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return smtpError("data", err)
	}
	if _, err := w.Write(raw); err != nil {
		w.Close()
		return smtpError("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("data", err)
	}
	// Accepted: a failing QUIT changes nothing for the recipient.
	_ = cl.Quit()
	return nil
}

func (s *Sender) dialSMTP(ctx context.Context, addr, host string, mode TLSMode) (net.Conn, error) {
	d := &net.Dialer{Timeout: DefaultTimeout}
	if mode == TLSImplicit {
		td := &tls.Dialer{NetDialer: d, Config: s.tlsConfig(host)}
		return td.DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

func (s *Sender) tlsConfig(host string) *tls.Config {
	var c *tls.Config
	if s.TLSConfig != nil {
		c = s.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	c.ServerName = host
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

func (s *Sender) helloName() string {
	if s.HelloName != "" {
		return s.HelloName
	}
	return "localhost"
}

// smtpError classifies an SMTP failure at one stage: a 4xx reply is
// temporary and a 5xx permanent (RFC 5321 §4.2.1); a certificate the client
// does not trust is permanent until someone fixes it; anything else (a
// dropped connection, a time-out) is worth another try.
func smtpError(stage string, err error) *DeliveryError {
	e := &DeliveryError{Kind: Email, Code: stage, Msg: clip(err.Error()), Err: err, Retryable: true}
	var te *textproto.Error
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &te):
		e.Status = te.Code
		e.Msg = clip(te.Msg)
		e.Retryable = te.Code >= 400 && te.Code < 500
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		e.Code = "tls_certificate"
		e.Retryable = false
	case stage == "auth" && strings.Contains(err.Error(), "unencrypted connection"):
		// net/smtp's PlainAuth guard: a configuration error.
		e.Retryable = false
	}
	return e
}

// emailMessage builds the RFC 5322 message, with CRLF line ends.
func (s *Sender) emailMessage(c SMTPConfig, msgs []Message) ([]byte, error) {
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	to := make([]string, len(c.To))
	for i, t := range c.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("to %q: %w", t, err)
		}
		to[i] = a.String() // RFC 2047-encodes a non-ASCII display name
	}
	id := DeliveryID(msgs)
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", encodeSubject(Truncate(s.heading(msgs), 200)))
	header("Date", s.now().Format(time.RFC1123Z))
	header("Message-ID", "<epiguard."+messageIDPart(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	header("Auto-Submitted", "auto-generated")
	header("X-EpiGuard-Delivery", messageIDPart(id))
	b.WriteString("\r\n")

	text := strings.ReplaceAll(s.text(msgs), "\n", "\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	for len(enc) > 76 { // RFC 2045 §6.8: lines of at most 76 characters
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes(), nil
}

// encodeSubject leaves a short printable-ASCII subject alone and otherwise
// writes RFC 2047 encoded words of at most 36 bytes of text each (60
// characters encoded), one per folded line, so no header line passes the
// 78 characters RFC 5322 asks for and no character is split between words.
func encodeSubject(subject string) string {
	ascii := true
	for i := 0; i < len(subject); i++ {
		if subject[i] < 0x20 || subject[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii && len(subject) <= 60 && !strings.Contains(subject, "=?") {
		return subject
	}
	var words []string
	for rest := subject; rest != ""; {
		n := 0
		for _, r := range rest {
			if k := utf8.RuneLen(r); n+k <= 36 || n == 0 {
				n += k
				continue
			}
			break
		}
		words = append(words, "=?UTF-8?b?"+base64.StdEncoding.EncodeToString([]byte(rest[:n]))+"?=")
		rest = rest[n:]
	}
	return strings.Join(words, "\r\n ")
}

// messageIDPart keeps an id that is already a safe dot-atom fragment and
// hashes any other, so the Message-ID is always well-formed and still the
// same for the same id.
func messageIDPart(id string) string {
	ok := id != "" && len(id) <= 64
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h" + hex.EncodeToString(sum[:16])
}
