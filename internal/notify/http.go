package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// maxReply bounds how much of a reply is read: the vendors answer with a
// few dozen bytes, and a hostile webhook receiver must not fill memory.
const maxReply = 64 << 10

// errBlockedAddress is returned by the dialer's guard.
var errBlockedAddress = errors.New("address not allowed")

// NewHTTPClient returns the client Send uses by default: DefaultTimeout per
// request, redirects not followed (a robot URL that redirects is wrong, and
// following it would carry the body elsewhere), and a dialer that refuses
// link-local, multicast and unspecified addresses, and loopback unless
// allowLoopback: a webhook URL must not reach the cloud metadata service or
// this machine's own ports, even through DNS.
func NewHTTPClient(allowLoopback bool) *http.Client {
	dialer := &net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", errBlockedAddress, address)
			}
			if !dialable(ap.Addr(), allowLoopback) {
				return fmt.Errorf("%w: %s", errBlockedAddress, ap.Addr())
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: DefaultTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: DefaultTimeout, CheckRedirect: noRedirect}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// dialable says whether a request may go to ip.
func dialable(ip netip.Addr, allowLoopback bool) bool {
	ip = ip.Unmap()
	switch {
	case ip.IsUnspecified(), ip.IsMulticast(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return false
	case ip.IsLoopback():
		return allowLoopback
	}
	return true
}

// httpClient returns s.HTTP with redirects switched off, or a fresh client
// and a function that releases its connections.
func (s *Sender) httpClient() (*http.Client, func()) {
	if s.HTTP == nil {
		c := NewHTTPClient(s.AllowLoopback)
		return c, c.CloseIdleConnections
	}
	c := *s.HTTP
	c.CheckRedirect = noRedirect
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return &c, func() {}
}

type httpReply struct {
	status int
	header http.Header
	body   []byte
}

// postJSON posts body to rawURL. A failure to get any reply is a retryable
// *DeliveryError whose text has the URL masked.
func (s *Sender) postJSON(ctx context.Context, kind Kind, rawURL string, body []byte, header http.Header) (*httpReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, &DeliveryError{Kind: kind, Code: "invalid_target", Msg: "cannot build request"}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "EpiGuard-Notify/1")
	client, release := s.httpClient()
	defer release()
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = maskURL(kind, ue.URL)
		}
		de := &DeliveryError{Kind: kind, Retryable: true, Code: "network", Msg: clip(err.Error()), Err: err}
		if errors.Is(err, errBlockedAddress) {
			de.Retryable, de.Code = false, "blocked_address"
		}
		return nil, de
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = maskURL(kind, ue.URL)
		}
		// The request went out; whether it was taken is unknown. Retrying
		// risks a duplicate, giving up risks a lost alert: the first is
		// the lesser harm.
		return nil, &DeliveryError{Kind: kind, Retryable: true, Status: resp.StatusCode, Code: "network",
			Msg: clip("reading reply: " + err.Error()), Err: err}
	}
	return &httpReply{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// statusError classifies a reply by its HTTP status alone: nil for 2xx;
// 408, 425, 429 and 5xx retryable (with Retry-After); 3xx and other 4xx
// permanent.
func (s *Sender) statusError(kind Kind, r *httpReply) *DeliveryError {
	if r.status >= 200 && r.status < 300 {
		return nil
	}
	e := &DeliveryError{Kind: kind, Status: r.status, Code: "http_status", Msg: clip(http.StatusText(r.status))}
	switch {
	case r.status >= 300 && r.status < 400:
		e.Code = "redirect"
		e.Msg = "redirect not followed"
	case r.status == http.StatusRequestTimeout, r.status == http.StatusTooEarly,
		r.status == http.StatusTooManyRequests, r.status >= 500:
		e.Retryable = true
		e.RetryAfter = retryAfter(r.header, s.now())
	}
	return e
}

// robotReply is the vendor's verdict parsed from a robot's JSON reply.
type robotReply struct {
	parsed bool
	code   int
	msg    string
}

// robotResult turns a robot reply into nil or a *DeliveryError. vendor
// classifies the vendor's non-zero codes: whether a retry can help and the
// least wait.
func (s *Sender) robotResult(kind Kind, r *httpReply, v robotReply, vendor func(code int) (bool, time.Duration)) error {
	if !v.parsed {
		if e := s.statusError(kind, r); e != nil {
			return e
		}
		// A 2xx without the vendor's JSON is a proxy or a captive portal,
		// not the vendor: the message was most likely not delivered.
		return &DeliveryError{Kind: kind, Retryable: true, Status: r.status, Code: "bad_response",
			Msg: clip("unexpected reply: " + string(r.body))}
	}
	if v.code == 0 {
		if e := s.statusError(kind, r); e != nil {
			return e
		}
		return nil
	}
	e := &DeliveryError{Kind: kind, Status: r.status, Code: fmt.Sprint(v.code), Msg: clip(v.msg)}
	e.Retryable, e.RetryAfter = vendor(v.code)
	if r.status == http.StatusTooManyRequests || r.status >= 500 {
		e.Retryable = true
	}
	if e.Retryable {
		e.RetryAfter = max(e.RetryAfter, retryAfter(r.header, s.now()))
	}
	return e
}

// marshalJSON encodes v without HTML escaping: the bodies go to chat
// clients, not into HTML, and "<" as \u003c only wastes the size budget.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
