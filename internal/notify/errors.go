package notify

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DeliveryError is the only kind of error Send returns.
type DeliveryError struct {
	Kind Kind
	// Retryable says whether the same request may succeed later: rate
	// limits, 5xx, network failures and time-outs are; a rejected key,
	// signature or recipient is not.
	Retryable bool
	// RetryAfter is the least wait the receiver asked for (Retry-After, or
	// the vendor's documented throttling period); zero when it said nothing.
	RetryAfter time.Duration
	// Status is the HTTP status or SMTP reply code; zero when no reply came.
	Status int
	// Code is the vendor's error code ("45009", "130101", "9499"…) or one of
	// ours: "invalid_target", "network", "blocked_address", "redirect",
	// "http_status", "bad_response", "starttls_unavailable", "auth_unavailable",
	// "tls_certificate", or the SMTP stage ("greeting", "ehlo", "starttls",
	// "auth", "mail", "rcpt", "data").
	Code string
	// Msg is the receiver's own words (errmsg, reply text), clipped. It never
	// holds the URL's key or a secret.
	Msg string
	// Err is the underlying error, with any URL in it masked.
	Err error
}

func (e *DeliveryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "notify %s: ", e.Kind)
	if e.Retryable {
		b.WriteString("temporary failure")
	} else {
		b.WriteString("permanent failure")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ", status %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ", code %s", e.Code)
	}
	if e.Msg != "" {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// IsRetryable reports whether err leaves hope for a later attempt. Errors
// that are not a *DeliveryError (which Send never returns) count as
// retryable, so an unexpected failure delays a notification instead of
// losing it.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Retryable
	}
	return true
}

// MaxAttempts is a suggested cap on attempts for one outbox row: with
// Backoff, twenty attempts span about fourteen hours, which rides out a
// vendor's outage or a night's network trouble.
const MaxAttempts = 20

// Backoff is the wait after the attempt-th failed attempt (1 after the
// first): 30 s, 1 min, 2 min, 4 min … doubling, at most one hour. There is no
// jitter: every target has its own rate limit and outbox rows fail at
// their own times, so retries do not herd; and a deterministic schedule is
// easy to show and to test.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// NextAttempt says when to try again after err ended the attempts-th attempt:
// at now plus the larger of Backoff(attempts) and the receiver's RetryAfter.
// retry is false for a permanent failure (and for err == nil).
func NextAttempt(err error, attempts int, now time.Time) (at time.Time, retry bool) {
	if !IsRetryable(err) {
		return time.Time{}, false
	}
	wait := Backoff(attempts)
	var de *DeliveryError
	if errors.As(err, &de) && de.RetryAfter > wait {
		wait = de.RetryAfter
	}
	return now.Add(wait), true
}

// maxRetryAfter caps what a receiver may ask for, so a misconfigured one
// cannot park a notification for days.
const maxRetryAfter = time.Hour

// retryAfter reads Retry-After (delta-seconds or an HTTP date, RFC 9110
// §10.2.3) and Feishu's gateway header x-ogw-ratelimit-reset (seconds).
func retryAfter(h http.Header, now time.Time) time.Duration {
	var d time.Duration
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			d = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(v); err == nil && t.After(now) {
			d = t.Sub(now)
		}
	}
	if v := strings.TrimSpace(h.Get("X-Ogw-Ratelimit-Reset")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			d = max(d, time.Duration(n)*time.Second)
		}
	}
	return min(d, maxRetryAfter)
}

// clip keeps a receiver's message short enough for a log line and a
// delivery log column.
func clip(s string) string {
	return Truncate(strings.TrimSpace(s), 300)
}
