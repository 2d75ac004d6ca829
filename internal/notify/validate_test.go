package notify

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	smtp := SMTPConfig{Addr: "smtp.school.example:587", From: "robot@school.example", To: []string{"a@school.example"}}
	with := func(edit func(*SMTPConfig)) SMTPConfig {
		c := smtp
		c.To = append([]string(nil), smtp.To...)
		edit(&c)
		return c
	}
	for _, c := range []struct {
		name     string
		t        Target
		loopback bool
		field    string // "" = valid
	}{
		{"wecom", Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}, false, ""},
		{"wecom http", Target{Kind: WeCom, URL: "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"}, false, "url"},
		{"wecom other host", Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=abc"}, false, "url"},
		{"wecom wrong path", Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/message/send?key=abc"}, false, "url"},
		{"wecom no key", Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, false, "url"},
		{"wecom extra param", Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc&debug=1"}, false, "url"},
		{"wecom secret", Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", Secret: "x"}, false, "secret"},
		{"wecom user info", Target{Kind: WeCom, URL: "https://u:p@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"}, false, "url"},
		{"wecom loopback refused", Target{Kind: WeCom, URL: "http://127.0.0.1:8080/cgi-bin/webhook/send?key=abc"}, false, "url"},
		{"wecom loopback allowed", Target{Kind: WeCom, URL: "http://127.0.0.1:8080/cgi-bin/webhook/send?key=abc"}, true, ""},
		{"wecom loopback wrong path", Target{Kind: WeCom, URL: "http://127.0.0.1:8080/robot/send?key=abc"}, true, "url"},
		{"dingtalk", Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=6f9a8b7c", Secret: "SEC1234"}, false, ""},
		{"dingtalk unsigned", Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=6f9a8b7c"}, false, ""},
		{"dingtalk bad secret", Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=6f9a8b7c", Secret: "1234"}, false, "secret"},
		{"dingtalk pre-signed", Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=6f&sign=x&timestamp=1"}, false, "url"},
		{"dingtalk host", Target{Kind: DingTalk, URL: "https://api.dingtalk.com/robot/send?access_token=6f"}, false, "url"},
		{"feishu", Target{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/3f1c2a9e-0d7b-4b8e-9a61-5c2f7e8d9b10", Secret: "s"}, false, ""},
		{"lark", Target{Kind: Feishu, URL: "https://open.larksuite.com/open-apis/bot/v2/hook/abc"}, false, ""},
		{"feishu no id", Target{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/"}, false, "url"},
		{"feishu nested", Target{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/a/b"}, false, "url"},
		{"feishu query", Target{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/a?x=1"}, false, "url"},
		{"feishu fragment", Target{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/a#x"}, false, "url"},
		{"webhook", Target{Kind: Webhook, URL: "https://ops.school.example/hooks/epiguard?team=1", Secret: "k"}, false, ""},
		{"webhook private range", Target{Kind: Webhook, URL: "https://10.1.2.3/hook"}, false, ""},
		{"webhook http", Target{Kind: Webhook, URL: "http://ops.school.example/hook"}, false, "url"},
		{"webhook metadata", Target{Kind: Webhook, URL: "https://169.254.169.254/latest/meta-data"}, false, "url"},
		{"webhook localhost", Target{Kind: Webhook, URL: "https://localhost/hook"}, false, "url"},
		{"webhook ipv6 loopback", Target{Kind: Webhook, URL: "https://[::1]:8443/hook"}, false, "url"},
		{"webhook loopback allowed", Target{Kind: Webhook, URL: "http://[::1]:8080/hook"}, true, ""},
		{"webhook control char", Target{Kind: Webhook, URL: "https://ops.school.example/ho\nok"}, false, "url"},
		{"webhook relative", Target{Kind: Webhook, URL: "/hook"}, false, "url"},
		{"webhook empty", Target{Kind: Webhook}, false, "url"},
		{"secret with newline", Target{Kind: Webhook, URL: "https://ops.school.example/h", Secret: "a\nb"}, false, "secret"},
		{"email", Target{Kind: Email, SMTP: smtp}, false, ""},
		{"email implicit", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) {
			c.TLS = TLSImplicit
			c.Addr = "smtp.qq.com:465"
			c.Username, c.Password = "u", "p"
		})}, false, ""},
		{"email no port", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.Addr = "smtp.school.example" })}, false, "smtp.addr"},
		{"email bad port", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.Addr = "smtp.school.example:0" })}, false, "smtp.addr"},
		{"email none remote", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.TLS = TLSNone })}, false, "smtp.tls"},
		{"email none local", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.TLS = TLSNone; c.Addr = "localhost:25" })}, false, ""},
		{"email bad mode", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.TLS = "ssl3" })}, false, "smtp.tls"},
		{"email bad from", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.From = "robot" })}, false, "smtp.from"},
		{"email header injection", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.To = []string{"a@b.example\r\nBcc: x@y.example"} })}, false, "smtp.to"},
		{"email no recipients", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.To = nil })}, false, "smtp.to"},
		{"email password without user", Target{Kind: Email, SMTP: with(func(c *SMTPConfig) { c.Password = "p" })}, false, "smtp.username"},
		{"unknown kind", Target{Kind: "sms"}, false, "kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Sender{AllowLoopback: c.loopback}
			err := s.Validate(c.t)
			if c.field == "" {
				if err != nil {
					t.Errorf("unexpected %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Errorf("got %v, want a %s error", err, c.field)
			}
			if !c.loopback && (Validate(c.t) == nil) {
				t.Error("package Validate disagrees")
			}
		})
	}
}

func TestMask(t *testing.T) {
	for _, c := range []struct {
		in   Target
		want Target
	}{
		{Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifaa1b2"},
			Target{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****a1b2"}},
		{Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=6f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c", Secret: "SEC0123456789abcdef"},
			Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=****6b5c", Secret: "****cdef"}},
		{Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=6f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c&timestamp=1&sign=abc%2B"},
			Target{Kind: DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=****6b5c"}},
		{Target{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/3f1c2a9e-0d7b-4b8e-9a61-5c2f7e8d9b10", Secret: "short"},
			Target{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/****9b10", Secret: "****"}},
		{Target{Kind: Webhook, URL: "https://hooks.example.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?token=abcdefghijklmnop&v=1"},
			Target{Kind: Webhook, URL: "https://hooks.example.com/services/T000/B000/****XXXX?token=****mnop&v=****"}},
		{Target{Kind: Email, SMTP: SMTPConfig{Addr: "smtp.qq.com:465", Username: "u@qq.com", Password: "authcode-abcdefgh", From: "u@qq.com", To: []string{"a@b.c"}}},
			Target{Kind: Email, SMTP: SMTPConfig{Addr: "smtp.qq.com:465", Username: "u@qq.com", Password: "****efgh", From: "u@qq.com", To: []string{"a@b.c"}}}},
		{Target{Kind: Webhook, URL: "::not a url"}, Target{Kind: Webhook, URL: "****"}},
	} {
		got := Mask(c.in)
		if got.URL != c.want.URL || got.Secret != c.want.Secret || got.SMTP.Password != c.want.SMTP.Password || got.SMTP.Username != c.want.SMTP.Username {
			t.Errorf("Mask(%+v)\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}
