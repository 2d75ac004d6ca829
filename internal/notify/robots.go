package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// WeCom group robot (企业微信群机器人), developer.work.weixin.qq.com document 91770:
//
//	POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
//	{"msgtype":"markdown","markdown":{"content":"…"}}
//	→ {"errcode":0,"errmsg":"ok"}
//
// The content is at most 4096 bytes of UTF-8. A robot takes at most 20
// messages a minute; beyond that it answers errcode 45009. There is no
// signing: the key in the URL is the only credential.
const wecomMaxContent = 4096

func (s *Sender) sendWeCom(ctx context.Context, t Target, msgs []Message) error {
	type markdown struct {
		Content string `json:"content"`
	}
	body, err := marshalJSON(struct {
		MsgType  string   `json:"msgtype"`
		Markdown markdown `json:"markdown"`
	}{"markdown", markdown{s.markdown(msgs, wecomMaxContent, mdStyle{br: "\n", font: true})}})
	if err != nil {
		return &DeliveryError{Kind: WeCom, Code: "invalid_message", Msg: err.Error(), Err: err}
	}
	r, derr := s.postJSON(ctx, WeCom, t.URL, body, nil)
	if derr != nil {
		return derr
	}
	return s.robotResult(WeCom, r, parseErrcode(r.body), wecomCode)
}

// wecomCode classifies WeCom's errcodes: 45009 (api freq out of limit) waits
// out the minute; -1 (system busy) retries; everything else, such as 93000
// (invalid webhook url, the robot was removed) or 40058 (bad parameter), is
// permanent.
func wecomCode(code int) (bool, time.Duration) {
	switch code {
	case 45009:
		return true, time.Minute
	case -1:
		return true, 0
	}
	return false, 0
}

// parseErrcode reads the {"errcode":N,"errmsg":"…"} reply of WeCom and
// DingTalk.
func parseErrcode(body []byte) robotReply {
	var v struct {
		Errcode *int   `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	if json.Unmarshal(body, &v) != nil || v.Errcode == nil {
		return robotReply{}
	}
	return robotReply{parsed: true, code: *v.Errcode, msg: v.Errmsg}
}

// DingTalk custom robot (钉钉自定义机器人), open.dingtalk.com "custom robot access":
//
//	POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN[&timestamp=MS&sign=SIGN]
//	{"msgtype":"markdown","markdown":{"title":"…","text":"…"}}
//	→ {"errcode":0,"errmsg":"ok"}
//
// With 加签 (signing) on, timestamp is the current time in milliseconds and
// sign = urlencode(base64(HmacSHA256(key=secret, msg=timestamp+"\n"+secret)));
// DingTalk rejects a timestamp more than an hour off. The title is what the
// conversation list shows. A robot takes at most 20 messages a minute and is
// throttled for 10 minutes beyond that (errcode 130101).
const dingtalkMaxText = 4096 // not documented; large markdown renders poorly on phones

func (s *Sender) sendDingTalk(ctx context.Context, t Target, msgs []Message) error {
	type markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	body, err := marshalJSON(struct {
		MsgType  string   `json:"msgtype"`
		Markdown markdown `json:"markdown"`
	}{"markdown", markdown{
		Title: Truncate(s.heading(msgs), 100),
		Text:  s.markdown(msgs, dingtalkMaxText, mdStyle{br: "  \n"}),
	}})
	if err != nil {
		return &DeliveryError{Kind: DingTalk, Code: "invalid_message", Msg: err.Error(), Err: err}
	}
	target := t.URL
	if t.Secret != "" {
		u, err := url.Parse(t.URL)
		if err != nil { // Validate parsed it already.
			return &DeliveryError{Kind: DingTalk, Code: "invalid_target", Msg: "unparseable URL"}
		}
		ts := strconv.FormatInt(s.now().UnixMilli(), 10)
		q := u.Query()
		q.Set("timestamp", ts)
		q.Set("sign", DingTalkSign(t.Secret, ts)) // Encode url-encodes the base64
		u.RawQuery = q.Encode()
		target = u.String()
	}
	r, derr := s.postJSON(ctx, DingTalk, target, body, nil)
	if derr != nil {
		return derr
	}
	return s.robotResult(DingTalk, r, parseErrcode(r.body), dingtalkCode)
}

// DingTalkSign is base64(HmacSHA256(key=secret, msg=timestamp+"\n"+secret)),
// before url-encoding.
func DingTalkSign(secret, timestampMillis string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestampMillis + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// dingtalkCode classifies DingTalk's errcodes: 130101 (send too fast) waits
// out the documented 10-minute throttle; 410100 (newer documentation's
// "sending too fast, throttled") likewise; -1 (system busy) retries.
// 310000 (signature, keyword or IP whitelist mismatch), 300001 (token does
// not exist) and the rest are permanent.
func dingtalkCode(code int) (bool, time.Duration) {
	switch code {
	case 130101, 410100:
		return true, 10 * time.Minute
	case -1:
		return true, 0
	}
	return false, 0
}

// Feishu custom bot (飞书自定义机器人), open.feishu.cn "custom bot guide":
//
//	POST https://open.feishu.cn/open-apis/bot/v2/hook/ID
//	{"timestamp":"SECONDS","sign":"…","msg_type":"post","content":{"post":{"zh_cn":{
//	  "title":"…","content":[[{"tag":"text","text":"…"}],[{"tag":"a","text":"…","href":"…"}]]}}}}
//	→ {"code":0,"msg":"success","data":{}}   (older: {"StatusCode":0,"StatusMessage":"success"})
//
// With signing on, sign = base64(HmacSHA256(key=timestamp+"\n"+secret,
// msg=empty)) and timestamp is in seconds, within an hour of Feishu's clock
// (code 19021 otherwise). The request body is at most 20 KB. A bot takes
// 100 requests a minute and 5 a second; beyond that code 9499 or 11232.
// "post" (rich text) is used rather than an interactive card: it carries a
// title and a real link, and renders the same on every client.
const feishuMaxBody = 18 << 10 // under the 20 KB limit, leaving room for sign and timestamp

type feishuElem struct {
	Tag  string `json:"tag"`
	Text string `json:"text"`
	Href string `json:"href,omitempty"`
}

type feishuPost struct {
	Title   string         `json:"title"`
	Content [][]feishuElem `json:"content"`
}

func (s *Sender) sendFeishu(ctx context.Context, t Target, msgs []Message) error {
	type post struct {
		ZhCN feishuPost `json:"zh_cn"`
	}
	type content struct {
		Post post `json:"post"`
	}
	type request struct {
		Timestamp string  `json:"timestamp,omitempty"`
		Sign      string  `json:"sign,omitempty"`
		MsgType   string  `json:"msg_type"`
		Content   content `json:"content"`
	}
	p := s.feishuPost(msgs)
	req := request{MsgType: "post", Content: content{post{p}}}
	if t.Secret != "" {
		req.Timestamp = strconv.FormatInt(s.now().Unix(), 10)
		req.Sign = FeishuSign(t.Secret, req.Timestamp)
	}
	body, err := marshalJSON(req)
	if err != nil {
		return &DeliveryError{Kind: Feishu, Code: "invalid_message", Msg: err.Error(), Err: err}
	}
	r, derr := s.postJSON(ctx, Feishu, t.URL, body, nil)
	if derr != nil {
		return derr
	}
	return s.robotResult(Feishu, r, parseFeishu(r.body), feishuCode)
}

// feishuPost renders msgs as a rich-text post within feishuMaxBody once
// encoded. One message: its title as the post title, then a line per body
// paragraph, the time and the link. A digest: the digest heading as title,
// then per message a numbered title line with the time, the body and the
// link.
func (s *Sender) feishuPost(msgs []Message) feishuPost {
	w := s.words()
	heading := s.heading(msgs)
	msgs = cleaned(msgs, func(s string) string { return s })
	render := func(c caps) feishuPost {
		p := feishuPost{Title: Truncate(heading, min(c.title, 200))}
		line := func(es ...feishuElem) { p.Content = append(p.Content, es) }
		for i, m := range msgs {
			at := ""
			if !m.At.IsZero() {
				at = m.At.Format("01-02 15:04")
			}
			if len(msgs) > 1 {
				head := strconv.Itoa(i+1) + ". " + cut(m.Title, c.title)
				if at != "" {
					head += "  " + at
				}
				line(feishuElem{Tag: "text", Text: head})
			}
			if body := cut(m.Body, c.body); body != "" {
				line(feishuElem{Tag: "text", Text: body})
			}
			if len(msgs) == 1 && at != "" {
				line(feishuElem{Tag: "text", Text: at})
			}
			if link := capLink(m.Link, c.link); link != "" {
				line(feishuElem{Tag: "a", Text: w.open, Href: link})
			}
		}
		return p
	}
	size := func(p feishuPost) int {
		b, _ := marshalJSON(p)
		return len(b)
	}
	shrink := func(p feishuPost) feishuPost {
		// Only absurdly many messages get here (titles are 30 bytes by
		// now): keep the lines that fit.
		for len(p.Content) > 1 && size(p) > feishuMaxBody {
			p.Content = p.Content[:len(p.Content)-1]
		}
		return p
	}
	return fit(feishuMaxBody, render, size, shrink)
}

// FeishuSign is base64(HmacSHA256(key=timestamp+"\n"+secret, msg=empty)).
func FeishuSign(secret, timestampSeconds string) string {
	mac := hmac.New(sha256.New, []byte(timestampSeconds+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func parseFeishu(body []byte) robotReply {
	var v struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if json.Unmarshal(body, &v) != nil {
		return robotReply{}
	}
	switch {
	case v.Code != nil:
		return robotReply{parsed: true, code: *v.Code, msg: v.Msg}
	case v.StatusCode != nil:
		return robotReply{parsed: true, code: *v.StatusCode, msg: v.StatusMessage}
	}
	return robotReply{}
}

// feishuCode classifies Feishu's codes: 9499 (too many requests) and 11232
// (message rate limit) wait out the minute. 19021 (sign match fail or
// timestamp not within an hour), 19024 (keyword mismatch), 19022 (IP not
// allowed) and the rest are permanent.
func feishuCode(code int) (bool, time.Duration) {
	switch code {
	case 9499, 11232:
		return true, time.Minute
	}
	return false, 0
}
