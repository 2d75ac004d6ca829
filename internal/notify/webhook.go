package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Generic webhook. One message is POSTed as
//
//	{"id":"…","kind":"alert","title":"…","body":"…","link":"…","at":"2025-05-06T08:30:00+08:00"}
//
// and a digest as
//
//	{"id":"digest-…","messages":[{…as above…},{…}]}
//
// (a receiver tells them apart by the "messages" key; "kind" and "at" are
// left out when unknown). Headers:
//
//	Content-Type: application/json; charset=utf-8
//	X-EpiGuard-Delivery: <id>            the same on every retry: the idempotency key
//	X-EpiGuard-Timestamp: <unix seconds>
//	X-EpiGuard-Signature: sha256=<hex(HMAC-SHA256(secret, timestamp + "." + body))>
//
// The signature header is sent only when the target has a secret. A
// receiver recomputes it over the raw body, compares in constant time, and
// rejects timestamps far from its clock to stop replays. 2xx is delivered;
// 408, 425, 429 and 5xx are retried, honouring Retry-After; any other
// status is permanent.
const (
	HeaderDelivery  = "X-EpiGuard-Delivery"
	HeaderTimestamp = "X-EpiGuard-Timestamp"
	HeaderSignature = "X-EpiGuard-Signature"
)

// WebhookMessage is one message in a webhook body.
type WebhookMessage struct {
	ID    string `json:"id"`
	Kind  string `json:"kind,omitempty"`
	Title string `json:"title"`
	Body  string `json:"body"`
	Link  string `json:"link"`
	At    string `json:"at,omitempty"` // RFC 3339
}

// WebhookDigest is the body of a webhook carrying several messages.
type WebhookDigest struct {
	ID       string           `json:"id"`
	Messages []WebhookMessage `json:"messages"`
}

func webhookMessage(m Message) WebhookMessage {
	w := WebhookMessage{ID: m.ID, Kind: m.Kind, Title: oneLine(m.Title), Body: plain(m.Body), Link: safeLink(m.Link)}
	if !m.At.IsZero() {
		w.At = m.At.Format(time.RFC3339)
	}
	return w
}

// WebhookSignature is the X-EpiGuard-Signature value for a body sent at
// timestamp (unix seconds, as sent in X-EpiGuard-Timestamp).
func WebhookSignature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (s *Sender) sendWebhook(ctx context.Context, t Target, msgs []Message) error {
	id := DeliveryID(msgs)
	var v any
	if len(msgs) == 1 {
		v = webhookMessage(msgs[0])
	} else {
		d := WebhookDigest{ID: id, Messages: make([]WebhookMessage, len(msgs))}
		for i, m := range msgs {
			d.Messages[i] = webhookMessage(m)
		}
		v = d
	}
	body, err := marshalJSON(v)
	if err != nil {
		return &DeliveryError{Kind: Webhook, Code: "invalid_message", Msg: err.Error(), Err: err}
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	h := http.Header{}
	// Header values must not carry CR/LF; ids are ours, but be sure.
	h.Set(HeaderDelivery, oneLine(id))
	h.Set(HeaderTimestamp, ts)
	if t.Secret != "" {
		h.Set(HeaderSignature, WebhookSignature(t.Secret, ts, body))
	}
	r, derr := s.postJSON(ctx, Webhook, t.URL, body, h)
	if derr != nil {
		return derr
	}
	if e := s.statusError(Webhook, r); e != nil {
		if e.Code == "http_status" && len(r.body) > 0 {
			e.Msg = clip(string(r.body))
		}
		return e
	}
	return nil
}
