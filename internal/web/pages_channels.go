package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"epiguard/internal/alerting"
	"epiguard/internal/domain"
	"epiguard/internal/notify"
	"epiguard/internal/store"
)

// channelRoutes are the notification channel settings (admin only): the
// list with the create form, one channel with its edit form, test button
// and delivery log, and the API behind them.
func (s *Server) channelRoutes() []route {
	return []route{
		{"GET", "/api/v1/channels", adminOnly, true, s.apiChannels},
		{"POST", "/api/v1/channels", adminOnly, true, s.apiCreateChannel},
		{"GET", "/api/v1/channels/{id}", adminOnly, true, s.apiChannel},
		{"PATCH", "/api/v1/channels/{id}", adminOnly, true, s.apiUpdateChannel},
		{"DELETE", "/api/v1/channels/{id}", adminOnly, true, s.apiDeleteChannel},
		{"POST", "/api/v1/channels/{id}/test", adminOnly, true, s.apiTestChannel},
		{"GET", "/api/v1/channels/{id}/deliveries", adminOnly, true, s.apiChannelDeliveries},
		{"GET", "/channels", adminOnly, false, s.pageChannels},
		{"POST", "/channels", adminOnly, false, s.pageCreateChannel},
		{"GET", "/channels/{id}", adminOnly, false, s.pageChannel},
		{"POST", "/channels/{id}", adminOnly, false, s.pageUpdateChannel},
		{"POST", "/channels/{id}/enabled", adminOnly, false, s.pageEnableChannel},
		{"POST", "/channels/{id}/test", adminOnly, false, s.pageTestChannel},
		{"POST", "/channels/{id}/delete", adminOnly, false, s.pageDeleteChannel},
	}
}

var _ = addMessages(map[string][2]string{
	"channel.nav":               {"通知渠道", "Channels"},
	"channel.title":             {"通知渠道", "Notification channels"},
	"channel.detail":            {"通知渠道详情", "Notification channel"},
	"channel.intro":             {"预警等通知会发送到单位及其上级单位配置的渠道：如班级的预警也会发到学校和区县的群。地址和密钥加密保存，页面上只显示部分内容。", "Notifications go to the channels of the unit and of the units above it: a class's alert also reaches the school's and the district's groups. Addresses and secrets are stored encrypted and only shown masked."},
	"channel.none":              {"还没有通知渠道。", "No channels yet."},
	"channel.org":               {"单位", "Unit"},
	"channel.org_code":          {"所属单位编码", "Unit code"},
	"channel.org_code.hint":     {"本单位及下级单位的通知发往此渠道。", "Notifications of this unit and the units below it go to this channel."},
	"channel.kind":              {"类型", "Kind"},
	"channel.kind.wecom":        {"企业微信机器人", "WeCom group robot"},
	"channel.kind.dingtalk":     {"钉钉机器人", "DingTalk group robot"},
	"channel.kind.feishu":       {"飞书机器人", "Feishu group robot"},
	"channel.kind.email":        {"电子邮件", "E-mail"},
	"channel.kind.webhook":      {"Webhook", "Webhook"},
	"channel.name":              {"名称", "Name"},
	"channel.name.hint":         {"如：实验中学防控工作群", "For example: the school's epidemic-control group"},
	"channel.target":            {"发送地址", "Target"},
	"channel.events":            {"通知类型", "Notifications"},
	"channel.events.hint":       {"都不勾选时发送预警和超时升级。", "None ticked: alerts and escalations."},
	"channel.events.default":    {"预警、超时升级（默认）", "Alerts, escalations (default)"},
	"channel.event.alert":       {"预警", "Alerts"},
	"channel.event.escalation":  {"超时升级", "Escalations"},
	"channel.event.reminder":    {"未打卡提醒", "Check-in reminders"},
	"channel.event.report":      {"日报", "Daily reports"},
	"channel.min_level":         {"最低预警级别", "Lowest alert level"},
	"channel.min_level.all":     {"全部级别", "All levels"},
	"channel.enabled":           {"启用", "Enabled"},
	"channel.enabled.yes":       {"已启用", "Enabled"},
	"channel.enabled.no":        {"已停用", "Disabled"},
	"channel.enable":            {"启用", "Enable"},
	"channel.disable":           {"停用", "Disable"},
	"channel.last":              {"最近发送", "Last delivery"},
	"channel.last.none":         {"尚未发送", "Nothing sent yet"},
	"channel.ok":                {"成功", "Delivered"},
	"channel.failed":            {"失败", "Failed"},
	"channel.new":               {"新增通知渠道", "Add a channel"},
	"channel.create":            {"保存渠道", "Save the channel"},
	"channel.robot":             {"群机器人 / Webhook", "Group robot / webhook"},
	"channel.robot.hint":        {"企业微信、钉钉、飞书机器人和 Webhook 填写这一组；电子邮件不填。", "For WeCom, DingTalk and Feishu robots and webhooks; leave empty for e-mail."},
	"channel.url":               {"Webhook 地址", "Webhook URL"},
	"channel.secret":            {"签名密钥", "Signing secret"},
	"channel.hint.wecom":        {"企业微信：群设置 → 群机器人 → 添加，复制 Webhook 地址（https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…）；没有签名密钥。", "WeCom: group settings → group robots → add, and copy its webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…); it has no signing secret."},
	"channel.hint.dingtalk":     {"钉钉：地址为 https://oapi.dingtalk.com/robot/send?access_token=…；安全设置选“加签”时填写以 SEC 开头的密钥。", "DingTalk: the URL is https://oapi.dingtalk.com/robot/send?access_token=…; with the “signature” security setting, enter the secret starting with SEC."},
	"channel.hint.feishu":       {"飞书：地址为 https://open.feishu.cn/open-apis/bot/v2/hook/…；开启签名校验时填写密钥。", "Feishu: the URL is https://open.feishu.cn/open-apis/bot/v2/hook/…; enter the secret if signature verification is on."},
	"channel.hint.webhook":      {"Webhook：https 地址；填写密钥后每个请求都带 HMAC-SHA256 签名。", "Webhook: an https URL; with a secret every request carries an HMAC-SHA256 signature."},
	"channel.email":             {"电子邮件", "E-mail"},
	"channel.email.hint":        {"仅“电子邮件”类型填写这一组。", "Only for the e-mail kind."},
	"channel.smtp_addr":         {"SMTP 服务器（主机:端口）", "SMTP server (host:port)"},
	"channel.smtp_username":     {"SMTP 用户名", "SMTP user name"},
	"channel.smtp_password":     {"SMTP 密码/授权码", "SMTP password"},
	"channel.smtp_tls":          {"加密方式", "Encryption"},
	"channel.tls.":              {"默认（STARTTLS）", "Default (STARTTLS)"},
	"channel.tls.starttls":      {"STARTTLS（通常为 587 端口）", "STARTTLS (usually port 587)"},
	"channel.tls.opportunistic": {"服务器支持时使用 STARTTLS", "STARTTLS when the server offers it"},
	"channel.tls.tls":           {"SSL/TLS（通常为 465 端口）", "SSL/TLS (usually port 465)"},
	"channel.tls.none":          {"不加密（仅限本机中继）", "None (a relay on this machine only)"},
	"channel.from":              {"发件人", "From"},
	"channel.to":                {"收件人", "To"},
	"channel.to.hint":           {"每行一个邮箱地址，最多 50 个。", "One address per line, at most 50."},
	"channel.keep.hint":         {"地址和密钥留空表示保持不变。", "Leave the address and secrets empty to keep them."},
	"channel.clear_secret":      {"清除签名密钥", "Remove the signing secret"},
	"channel.edit":              {"修改渠道", "Edit the channel"},
	"channel.save":              {"保存修改", "Save changes"},
	"channel.test":              {"发送测试消息", "Send a test message"},
	"channel.test.hint":         {"立即发送一条测试消息，结果记入下方的发送记录。", "Sends a test message now; the outcome goes into the log below."},
	"channel.test.ok":           {"测试消息已发送成功。", "The test message was delivered."},
	"channel.test.failed":       {"测试消息未送达：%s", "The test message was not delivered: %s"},
	"channel.delete":            {"删除渠道", "Delete the channel"},
	"channel.delete.confirm":    {"确认删除（尚未发出的通知将不再发送）", "Yes, delete it (notifications not yet sent will not be sent)"},
	"channel.deleted":           {"通知渠道已删除。", "The channel was deleted."},
	"channel.saved":             {"已保存。", "Saved."},
	"channel.log":               {"发送记录", "Delivery log"},
	"channel.log.none":          {"还没有发送记录。", "Nothing delivered yet."},
	"channel.log.at":            {"时间", "Time"},
	"channel.log.result":        {"结果", "Result"},
	"channel.log.messages":      {"消息数", "Messages"},
	"channel.log.duration":      {"耗时（毫秒）", "Time taken (ms)"},
	"channel.log.error":         {"错误信息", "Error"},
	"channel.created_by":        {"创建人", "Created by"},
	"channel.back":              {"返回渠道列表", "Back to the channels"},
	"channel.err.title":         {"未能保存，请检查标出的项目。", "Not saved: see the fields below."},
	"channel.err.name":          {"请填写名称，最多 100 字。", "Enter a name of at most 100 characters."},
	"channel.err.kind":          {"请选择渠道类型。", "Choose a kind."},
	"channel.err.events":        {"通知类型无效。", "Unknown notification type."},
	"channel.err.min_level":     {"预警级别无效。", "Unknown alert level."},
	"channel.err.url":           {"地址不正确：请按所选类型的说明，粘贴完整的 Webhook 地址。", "The URL is not right: paste the whole webhook URL as the kind's note says."},
	"channel.err.secret":        {"签名密钥不正确：企业微信机器人没有密钥；钉钉密钥以 SEC 开头。", "The secret is not right: WeCom robots have none; DingTalk secrets start with SEC."},
	"channel.err.smtp.addr":     {"SMTP 服务器应写成 主机:端口，如 smtp.example.edu.cn:465。", "Write the SMTP server as host:port, such as smtp.example.edu.cn:465."},
	"channel.err.smtp.from":     {"发件人不是有效的邮箱地址。", "From is not an e-mail address."},
	"channel.err.smtp.to":       {"收件人需为 1 到 50 个有效的邮箱地址。", "To needs 1 to 50 valid e-mail addresses."},
	"channel.err.smtp.username": {"用户名无效；填写密码时必须填写用户名。", "The user name is not valid; a password needs one."},
	"channel.err.smtp.password": {"密码过长或含有不允许的字符。", "The password is too long or holds characters that are not allowed."},
	"channel.err.smtp.tls":      {"加密方式无效；“不加密”只用于本机中继。", "Unknown encryption; “none” is only for a relay on this machine."},
	"channel.err.org_code":      {"您的管理范围内没有这个单位编码。", "No unit with this code in your scope."},
	"channel.err.confirm":       {"请勾选确认后再删除。", "Tick the confirmation to delete."},
})

// channelFieldLabels name the fields of CheckChannel's errors on the form.
var channelFieldLabels = map[string]string{
	"name": "channel.name", "kind": "channel.kind", "events": "channel.events", "min_level": "channel.min_level",
	"url": "channel.url", "secret": "channel.secret", "smtp.addr": "channel.smtp_addr", "smtp.from": "channel.from",
	"smtp.to": "channel.to", "smtp.username": "channel.smtp_username", "smtp.password": "channel.smtp_password",
	"smtp.tls": "channel.smtp_tls", "org_id": "channel.org_code", "org_code": "channel.org_code", "confirm": "channel.delete",
}

// channelFieldMessages say in the page's language what is wrong with a
// field; the API keeps the validators' own (English) words.
var channelFieldMessages = map[string]string{
	"name": "channel.err.name", "kind": "channel.err.kind", "events": "channel.err.events", "min_level": "channel.err.min_level",
	"url": "channel.err.url", "secret": "channel.err.secret", "smtp.addr": "channel.err.smtp.addr", "smtp.from": "channel.err.smtp.from",
	"smtp.to": "channel.err.smtp.to", "smtp.username": "channel.err.smtp.username", "smtp.password": "channel.err.smtp.password",
	"smtp.tls": "channel.err.smtp.tls", "org_id": "channel.err.org_code", "org_code": "channel.err.org_code", "confirm": "channel.err.confirm",
}

func channelFormError(l *catalog, err error) error {
	fields := domain.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	out := &domain.Error{Code: domain.ErrorCode(err), Message: l.T("channel.err.title")}
	for _, fe := range fields {
		if key, ok := channelFieldMessages[fe.Field]; ok {
			fe.Message = l.T(key)
		}
		if key, ok := channelFieldLabels[fe.Field]; ok {
			fe.Field = l.T(key)
		}
		out.Fields = append(out.Fields, fe)
	}
	return out
}

// channelForm holds the form's values. The URL, the secret and the SMTP
// password are never put back into a page, not even after an error.
type channelForm struct {
	OrgCode, Kind, Name, MinLevel             string
	SMTPAddr, SMTPUsername, SMTPTLS, From, To string
	Events                                    map[string]bool
	Enabled                                   bool
}

// channelChoices are the options of the forms' selects and checkboxes.
type channelChoices struct {
	Kinds, Events, Levels, TLSModes []string
}

func newChannelChoices() channelChoices {
	c := channelChoices{Events: alerting.ChannelEvents, Levels: alerting.Levels,
		TLSModes: []string{"", string(notify.TLSStartTLS), string(notify.TLSOpportunistic), string(notify.TLSImplicit), string(notify.TLSNone)}}
	for _, k := range notify.Kinds() {
		c.Kinds = append(c.Kinds, string(k))
	}
	return c
}

// splitAddresses reads the recipients box: one per line, or separated by
// commas or semicolons as people paste them from a mail client.
func splitAddresses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == ';' || r == '，' || r == '；'
	})
}

// readChannelForm reads the create or edit form. With keepBlank (the edit
// form) an empty target field leaves the stored value alone.
func readChannelForm(f url.Values, keepBlank bool) (channelForm, channelTargetInput) {
	form := channelForm{OrgCode: strings.TrimSpace(f.Get("org_code")), Kind: f.Get("kind"), Name: f.Get("name"),
		MinLevel: f.Get("min_level"), SMTPAddr: f.Get("smtp_addr"), SMTPUsername: f.Get("smtp_username"), SMTPTLS: f.Get("smtp_tls"),
		From: f.Get("from"), To: f.Get("to"), Events: map[string]bool{}, Enabled: f.Get("enabled") == "1"}
	for _, e := range f["events"] {
		form.Events[e] = true
	}
	var in channelTargetInput
	field := func(name string) *string {
		v := strings.TrimSpace(f.Get(name))
		if v == "" && keepBlank {
			return nil
		}
		return &v
	}
	in.URL, in.Secret, in.SMTPAddr, in.SMTPUsername = field("url"), field("secret"), field("smtp_addr"), field("smtp_username")
	in.SMTPPassword, in.SMTPTLS, in.From = field("smtp_password"), field("smtp_tls"), field("from")
	if to := splitAddresses(f.Get("to")); len(to) > 0 || !keepBlank {
		in.To = &to
	}
	if keepBlank && f.Get("clear_secret") == "1" {
		empty := ""
		in.Secret = &empty
	}
	return form, in
}

// events lists the ticked events in their canonical order.
func (f channelForm) events() []string {
	var out []string
	for _, e := range alerting.ChannelEvents {
		if f.Events[e] {
			out = append(out, e)
		}
	}
	return out
}

type channelRow struct {
	C      *store.Channel
	Last   *store.Delivery
	LastAt string
}

type channelsData struct {
	Rows []channelRow
	Form channelForm
	channelChoices
}

func (s *Server) pageChannels(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := s.db.Org(r.Context(), rq.scope(), rq.scope().OrgID)
	if err != nil {
		return err
	}
	form := channelForm{OrgCode: org.Code, Kind: string(notify.WeCom), Enabled: true,
		Events: map[string]bool{"alert": true, "escalation": true}}
	return s.showChannels(w, r, rq, form, nil)
}

func (s *Server) showChannels(w http.ResponseWriter, r *http.Request, rq *request, form channelForm, formErr error) error {
	chs, err := s.db.Channels(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	l := catalogs[rq.lang]
	d := channelsData{Form: form, channelChoices: newChannelChoices()}
	for _, c := range chs {
		row := channelRow{C: c}
		if row.Last, err = s.lastDelivery(r.Context(), c.ID); err != nil {
			return err
		}
		if row.Last != nil {
			row.LastAt = l.Time(row.Last.At.In(s.loc))
		}
		d.Rows = append(d.Rows, row)
	}
	if formErr != nil {
		formErr = channelFormError(l, formErr)
	}
	return s.render(w, r, rq, http.StatusOK, "channels", "channel.title", d, formErr)
}

func (s *Server) pageCreateChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		return fieldErr("form", "too large or malformed")
	}
	form, in := readChannelForm(r.PostForm, false)
	org, err := s.db.OrgByCode(r.Context(), rq.scope(), form.OrgCode)
	if err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showChannels(w, r, rq, form, fieldErr("org_code", "no unit %q in your scope", form.OrgCode))
	}
	ch := &store.Channel{OrgID: org.ID, Name: form.Name, Events: form.events(), MinLevel: form.MinLevel, Enabled: form.Enabled}
	cfg := alerting.ChannelConfig{Kind: form.Kind}
	in.apply(&cfg)
	if err := s.createChannel(r.Context(), rq, ch, cfg); err != nil {
		if domain.ErrorCode(err) == domain.EInternal {
			return err
		}
		return s.showChannels(w, r, rq, form, err)
	}
	return seeOther(w, r, fmt.Sprintf("/channels/%d?notice=channel.saved", ch.ID))
}

type channelView struct {
	C          *store.Channel
	Deliveries []deliveryView
	Form       channelForm
	channelChoices
}

type deliveryView struct {
	store.Delivery
	AtText string
}

func (s *Server) pageChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showChannel(w, r, rq, nil, nil)
}

// showChannel renders a channel; after a failed edit, form holds what was
// posted (the target fields aside).
func (s *Server) showChannel(w http.ResponseWriter, r *http.Request, rq *request, form *channelForm, formErr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.db.Channel(r.Context(), rq.scope(), id)
	if err != nil {
		return err
	}
	l := catalogs[rq.lang]
	d := channelView{C: c, channelChoices: newChannelChoices()}
	if form != nil {
		d.Form = *form
	} else {
		d.Form = channelForm{Kind: c.Kind, Name: c.Name, MinLevel: c.MinLevel, Enabled: c.Enabled, Events: map[string]bool{}}
		events := c.Events
		if len(events) == 0 {
			// What an empty list means, ticked, so saving keeps it.
			events = []string{"alert", "escalation"}
		}
		for _, e := range events {
			d.Form.Events[e] = true
		}
	}
	ds, err := s.deliveries(r.Context(), id, 50)
	if err != nil {
		return err
	}
	for _, x := range ds {
		d.Deliveries = append(d.Deliveries, deliveryView{x, l.Time(x.At.In(s.loc))})
	}
	if formErr != nil {
		formErr = channelFormError(l, formErr)
	}
	return s.render(w, r, rq, http.StatusOK, "channel", "channel.detail", d, formErr)
}

func (s *Server) pageUpdateChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		return fieldErr("form", "too large or malformed")
	}
	form, in := readChannelForm(r.PostForm, true)
	events := form.events()
	c := channelChange{Name: &form.Name, Events: &events, MinLevel: &form.MinLevel, Enabled: &form.Enabled, Target: &in}
	if _, err := s.updateChannel(r.Context(), rq, id, c); err != nil {
		if code := domain.ErrorCode(err); code == domain.EInternal || code == domain.ENotFound {
			return err
		}
		return s.showChannel(w, r, rq, &form, err)
	}
	return seeOther(w, r, fmt.Sprintf("/channels/%d?notice=channel.saved", id))
}

// pageEnableChannel switches a channel on or off from the list.
func (s *Server) pageEnableChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on := r.PostFormValue("enabled") == "1"
	if _, err := s.updateChannel(r.Context(), rq, id, channelChange{Enabled: &on}); err != nil {
		return err
	}
	return seeOther(w, r, "/channels?notice=channel.saved")
}

func (s *Server) pageTestChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.testChannel(r.Context(), rq, id); err != nil {
		if code := domain.ErrorCode(err); code == domain.EInternal || code == domain.ENotFound {
			return err
		}
		// The receiver's answer is what the admin needs to fix the setup.
		detail := domain.ErrorMessage(err)
		if fs := domain.ErrorFields(err); len(fs) > 0 {
			detail = fs[0].Message
		}
		return s.showChannel(w, r, rq, nil, domain.Errorf(domain.EInvalid, "%s", catalogs[rq.lang].F("channel.test.failed", detail)))
	}
	return seeOther(w, r, fmt.Sprintf("/channels/%d?notice=channel.test.ok", id))
}

func (s *Server) pageDeleteChannel(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "1" {
		return s.showChannel(w, r, rq, nil, fieldErr("confirm", "tick the confirmation"))
	}
	if err := s.deleteChannel(r.Context(), rq, id); err != nil {
		return err
	}
	return seeOther(w, r, "/channels?notice=channel.deleted")
}
