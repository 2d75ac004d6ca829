package web

import (
	"fmt"
	"net/http"
	"time"
)

// Languages: zh-CN is the default (SPEC §7.4); English is selectable and
// remembered in a cookie.
const (
	langZH     = "zh-CN"
	langEN     = "en"
	langCookie = "epiguard_lang"
)

func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == langEN {
		return langEN
	}
	return langZH
}

// catalog translates message keys for one language.
type catalog struct {
	lang string
	msgs map[string]string
}

// T returns the translation of key, or the key itself so that a missing
// entry is visible rather than blank (a test checks none is missing).
func (c *catalog) T(key string) string {
	if m, ok := c.msgs[key]; ok {
		return m
	}
	return key
}

// F formats a translated pattern.
func (c *catalog) F(key string, args ...any) string {
	return fmt.Sprintf(c.T(key), args...)
}

// Date formats a time as a local date and time.
func (c *catalog) Time(t time.Time) string {
	if c.lang == langZH {
		return t.Format("2006年01月02日 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// Num groups digits for display.
func (c *catalog) Num(n int) string {
	s := fmt.Sprint(n)
	if n < 10000 || c.lang == langZH && n < 100000 {
		return s
	}
	var out []byte
	for i, ch := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, ch)
	}
	return string(out)
}

var catalogs = map[string]*catalog{
	langZH: {lang: langZH, msgs: map[string]string{}},
	langEN: {lang: langEN, msgs: map[string]string{}},
}

// messageParts are the message tables of the pages; each page's file
// adds its own with "var _ = addMessages(table)", which runs during
// variable initialisation, before init merges them.
var messageParts = []map[string][2]string{messages}

func addMessages(m map[string][2]string) bool {
	messageParts = append(messageParts, m)
	return true
}

func init() {
	for _, part := range messageParts {
		for key, pair := range part {
			if _, dup := catalogs[langZH].msgs[key]; dup {
				panic("i18n: message key defined twice: " + key)
			}
			catalogs[langZH].msgs[key] = pair[0]
			catalogs[langEN].msgs[key] = pair[1]
		}
	}
}

// hasMessage reports whether key is translated.
func hasMessage(key string) bool {
	_, ok := catalogs[langZH].msgs[key]
	return ok
}

// messages holds every user-visible string: key → {zh-CN, en}.
var messages = map[string][2]string{
	"app":                       {"EpiGuard 疫情防控", "EpiGuard"},
	"app.tagline":               {"学校与社区传染病防控平台", "Epidemic prevention and control for schools and communities"},
	"skip":                      {"跳到正文", "Skip to content"},
	"nav":                       {"主导航", "Main navigation"},
	"nav.home":                  {"首页", "Home"},
	"nav.orgs":                  {"组织架构", "Organisation"},
	"nav.people":                {"人员名册", "People"},
	"nav.import":                {"名册导入", "Import"},
	"nav.accounts":              {"账号管理", "Accounts"},
	"nav.tokens":                {"API 令牌", "API tokens"},
	"nav.audit":                 {"审计日志", "Audit log"},
	"signout":                   {"退出登录", "Sign out"},
	"lang.switch":               {"English", "中文"},
	"lang.switch.label":         {"切换语言", "Switch language"},
	"signin":                    {"登录", "Sign in"},
	"signin.title":              {"登录 EpiGuard", "Sign in to EpiGuard"},
	"username":                  {"用户名", "Username"},
	"password":                  {"密码", "Password"},
	"demo.accounts":             {"演示账号（密码均为 demo）", "Demo accounts (password: demo)"},
	"demo.warning":              {"这是演示数据库，请勿录入真实数据。", "This is the demo database: do not enter real data."},
	"home.title":                {"工作台", "Dashboard"},
	"home.scope":                {"您的管理范围", "Your scope"},
	"home.role":                 {"角色", "Role"},
	"home.units":                {"下属单位", "Units"},
	"home.people":               {"在册人员", "People"},
	"home.aggregates":           {"您的账号仅可查看汇总数据。", "Your account sees aggregate figures only."},
	"home.today":                {"今日打卡", "Checked in today"},
	"home.today.detail":         {"未打卡 %d · 异常 %d · 因病缺勤 %d", "%d missing · %d abnormal · %d absent ill"},
	"home.alerts":               {"未关闭的预警", "Active alerts"},
	"role.admin":                {"管理员", "Administrator"},
	"role.health":               {"卫生/疫情报告人", "Health officer"},
	"role.teacher":              {"班主任", "Class teacher"},
	"role.guard":                {"门卫/卡点", "Gate guard"},
	"role.ops":                  {"后勤保障", "Operations"},
	"role.viewer":               {"上级查看", "Viewer"},
	"kind.district":             {"区县", "District"},
	"kind.school":               {"学校", "School"},
	"kind.campus":               {"校区", "Campus"},
	"kind.grade":                {"年级", "Grade"},
	"kind.class":                {"班级", "Class"},
	"kind.dorm_building":        {"宿舍楼", "Dorm building"},
	"kind.dorm_room":            {"宿舍", "Dorm room"},
	"kind.department":           {"部门", "Department"},
	"kind.street":               {"街道", "Street"},
	"kind.community":            {"社区", "Community"},
	"kind.compound":             {"小区", "Compound"},
	"kind.building":             {"楼栋", "Building"},
	"kind.unit":                 {"单元", "Unit"},
	"kind.household":            {"户", "Household"},
	"pkind.student":             {"学生", "Student"},
	"pkind.staff":               {"教职工", "Staff"},
	"pkind.resident":            {"居民", "Resident"},
	"pkind.visitor":             {"访客", "Visitor"},
	"gender.M":                  {"男", "Male"},
	"gender.F":                  {"女", "Female"},
	"gender.":                   {"—", "—"},
	"orgs.title":                {"组织架构", "Organisation"},
	"org.code":                  {"编码", "Code"},
	"org.name":                  {"名称", "Name"},
	"org.kind":                  {"类型", "Kind"},
	"org.children":              {"下级单位", "Sub-units"},
	"org.people":                {"人数", "People"},
	"org.responsible":           {"负责人", "Responsible persons"},
	"org.responsible.none":      {"未设置负责人", "No responsible person set"},
	"org.resp.role":             {"职责", "Role"},
	"org.resp.name":             {"姓名", "Name"},
	"org.resp.phone":            {"电话", "Phone"},
	"org.add":                   {"添加下级单位", "Add a sub-unit"},
	"org.edit":                  {"修改本单位", "Edit this unit"},
	"org.parent":                {"上级单位编码", "Parent unit code"},
	"org.move.hint":             {"填写新的上级单位编码可移动本单位（连同下级）。", "Enter another parent code to move this unit with everything below it."},
	"org.resp.hint":             {"每行一位：职责,姓名,手机号", "One per line: role,name,mobile"},
	"org.viewpeople":            {"查看本单位人员", "People in this unit"},
	"org.none":                  {"没有下级单位。", "No sub-units."},
	"org.breadcrumb":            {"位置", "Location"},
	"save":                      {"保存", "Save"},
	"create":                    {"创建", "Create"},
	"search":                    {"搜索", "Search"},
	"filter":                    {"筛选", "Filter"},
	"all":                       {"全部", "All"},
	"next.page":                 {"下一页", "Next page"},
	"first.page":                {"第一页", "First page"},
	"actions":                   {"操作", "Actions"},
	"back":                      {"返回", "Back"},
	"saved":                     {"已保存。", "Saved."},
	"people.title":              {"人员名册", "People"},
	"people.search":             {"姓名或学号/工号", "Name or student/staff number"},
	"people.total":              {"共 %d 人", "%d people"},
	"people.none":               {"没有符合条件的人员。", "No matching people."},
	"people.add":                {"新增人员", "Add a person"},
	"person.external_id":        {"学号/工号", "Student/staff no."},
	"person.name":               {"姓名", "Name"},
	"person.kind":               {"类别", "Kind"},
	"person.org":                {"所属单位", "Unit"},
	"person.org_code":           {"所属单位编码", "Unit code"},
	"person.gender":             {"性别", "Gender"},
	"person.birth_date":         {"出生日期", "Birth date"},
	"person.id_number":          {"身份证号", "Identity number"},
	"person.phone":              {"手机号", "Mobile"},
	"person.guardian":           {"监护人", "Guardian"},
	"person.guardian_phone":     {"监护人电话", "Guardian's mobile"},
	"person.tags":               {"标签", "Tags"},
	"person.tags.hint":          {"用分号分隔，如 key_person;returnee", "Separated by semicolons, e.g. key_person;returnee"},
	"person.memberships":        {"其他归属（宿舍、户等）", "Other units (dorm, household…)"},
	"person.guardians":          {"监护人（家长链接）", "Guardians (parent links)"},
	"person.unmask":             {"显示完整证件号和电话（将记入审计日志）", "Show full identity and phone numbers (audited)"},
	"person.unmasked":           {"完整信息已显示，本次查看已记入审计日志。", "Full numbers shown; this view has been written to the audit log."},
	"person.link":               {"个人链接", "Personal link"},
	"person.link.hint":          {"个人健康打卡链接。重新生成后旧链接立即失效。", "The person's check-in link. Generating a new one stops the old one at once."},
	"person.link.rotate":        {"生成新的个人链接", "Generate a new personal link"},
	"person.link.new":           {"新的个人链接（只显示这一次，请立即发送给本人或家长）：", "New personal link (shown only once: send it to the person or guardian now):"},
	"home.today.withheld":       {"本单位人数少于 10 人：其汇总数据属于个人信息，仅向有个人级权限的账号显示。", "This unit has fewer than 10 people: its figures are personal data, shown only to accounts with person-level access."},
	"person.guardian.link":      {"生成家长链接", "Issue the guardian's link"},
	"person.guardian.link.hint": {"家长链接可为其名下所有孩子打卡、登记请假并出示通行码；重新生成后旧链接立即失效。更换监护人手机号后，原监护人的链接不再显示此人。", "A guardian's link checks in, reports absences and shows the gate pass for all their children; issuing it again stops the old one at once. When the guardian phone changes, the former guardian's link no longer shows this person."},
	"person.guardian.link.new":  {"家长的新链接（只显示这一次，请立即发送给家长）：", "The guardian's new link (shown only once: send it to the guardian now):"},
	"person.edit":               {"修改信息", "Edit"},
	"person.keep.hint":          {"留空表示不修改", "Leave empty to keep"},
	"import.title":              {"名册导入", "Roster import"},
	"import.hint":               {"支持 CSV（UTF-8 或 GBK）和 XLSX。第一行为表头，可用中文或英文列名：学号/external_id、姓名/name（必填），类别、班级编码、性别、出生日期、身份证号、手机号、监护人、监护人电话、宿舍编码、户编码、标签。", "CSV (UTF-8 or GBK) and XLSX. The first row holds headers, in Chinese or English: external_id/学号 and name/姓名 (required), kind, org_code, gender, birth_date, id_number, phone, guardian_name, guardian_phone, dorm_code, household_code, tags."},
	"import.file":               {"名册文件", "Roster file"},
	"import.org":                {"导入到单位（编码）", "Import under unit (code)"},
	"import.skip":               {"跳过有错误的行，只导入正确的行", "Skip invalid rows and import the valid ones"},
	"import.submit":             {"上传并导入", "Upload and import"},
	"import.report":             {"导入结果", "Import report"},
	"import.nothing":            {"存在错误行，未写入任何数据。请修正后重新导入，或勾选“跳过有错误的行”。", "Invalid rows found: nothing was written. Fix them and import again, or tick “skip invalid rows”."},
	"import.done":               {"导入完成。", "Import finished."},
	"import.summary":            {"新增 %d，更新 %d，未变 %d，错误 %d（共 %d 行）", "imported %d, updated %d, unchanged %d, invalid %d (%d rows)"},
	"import.problems":           {"错误明细（行:列: 原因）", "Problems (line:column: reason)"},
	"import.line":               {"行", "Line"},
	"import.column":             {"列", "Column"},
	"import.reason":             {"原因", "Reason"},
	"accounts.title":            {"账号管理", "Accounts"},
	"account.username":          {"用户名", "Username"},
	"account.display":           {"显示名", "Display name"},
	"account.role":              {"角色", "Role"},
	"account.scope":             {"管理范围", "Scope"},
	"account.scope_code":        {"管理范围（单位编码）", "Scope (unit code)"},
	"account.person_level":      {"可查看个人明细（仅对上级查看角色有意义）", "May see person-level data (matters for viewers only)"},
	"account.status":            {"状态", "Status"},
	"account.enabled":           {"启用", "Active"},
	"account.disabled":          {"已停用", "Disabled"},
	"account.disable":           {"停用", "Disable"},
	"account.enable":            {"启用", "Enable"},
	"account.new":               {"新建账号", "New account"},
	"account.newpw":             {"新密码", "New password"},
	"account.setpw":             {"重设密码", "Reset password"},
	"tokens.title":              {"API 令牌", "API tokens"},
	"tokens.hint":               {"供闸机、测温设备和其他系统使用：请求头 Authorization: Bearer 令牌。令牌拥有所属账号的角色和范围。", "For gate devices and integrations: send Authorization: Bearer TOKEN. A token acts with its account's role and scope."},
	"token.name":                {"名称", "Name"},
	"token.account":             {"所属账号", "Account"},
	"token.prefix":              {"前缀", "Prefix"},
	"token.created":             {"创建时间", "Created"},
	"token.used":                {"最近使用", "Last used"},
	"token.never":               {"从未", "Never"},
	"token.revoke":              {"吊销", "Revoke"},
	"token.revoked":             {"已吊销", "Revoked"},
	"token.new":                 {"新建令牌", "New token"},
	"token.shown":               {"新令牌（只显示这一次，请立即保存）：", "New token (shown only once: store it now):"},
	"audit.title":               {"审计日志", "Audit log"},
	"audit.at":                  {"时间", "Time"},
	"audit.user":                {"用户", "User"},
	"audit.action":              {"操作", "Action"},
	"audit.target":              {"对象", "Target"},
	"audit.detail":              {"详情", "Detail"},
	"audit.ip":                  {"IP", "IP"},
	"audit.none":                {"没有记录。", "No entries."},
	"action.sign_in":            {"登录", "Sign-in"},
	"action.sign_in_failed":     {"登录失败", "Failed sign-in"},
	"action.sign_out":           {"退出", "Sign-out"},
	"action.unmask":             {"查看完整信息", "Unmasked view"},
	"action.export":             {"导出", "Export"},
	"action.import":             {"导入", "Import"},
	"action.admin_change":       {"管理变更", "Admin change"},
	"error.title":               {"出错了", "Something went wrong"},
	"error.400":                 {"输入有误", "Invalid input"},
	"error.401":                 {"请先登录", "Please sign in"},
	"error.403":                 {"没有权限", "Not allowed"},
	"error.404":                 {"未找到，或不在您的管理范围内", "Not found, or outside your scope"},
	"error.409":                 {"与现有数据冲突", "Conflicts with existing data"},
	"error.422":                 {"输入有误", "Invalid input"},
	"error.429":                 {"操作过于频繁，请稍后再试", "Too many attempts: please wait"},
	"error.500":                 {"服务器内部错误，请稍后再试", "Internal error: please try again later"},
	"footer":                    {"EpiGuard %s · 健康数据属于敏感个人信息，请依法使用", "EpiGuard %s · Health data is sensitive personal information"},
}
