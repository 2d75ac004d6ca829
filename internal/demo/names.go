package demo

import "math/rand/v2"

// surnames are common Chinese surnames with weights roughly proportional to
// their share of the population (per mille, rounded), so a class of 45 has
// several 王 and 李 and the odd 蔡, as real classes do.
var surnames = []struct {
	name   string
	weight int
}{
	{"王", 71}, {"李", 70}, {"张", 67}, {"刘", 54}, {"陈", 45}, {"杨", 32}, {"黄", 22}, {"赵", 22},
	{"吴", 20}, {"周", 19}, {"徐", 13}, {"孙", 13}, {"马", 12}, {"朱", 11}, {"胡", 10}, {"郭", 10},
	{"何", 9}, {"高", 9}, {"林", 9}, {"罗", 8}, {"郑", 7}, {"梁", 7}, {"谢", 6}, {"宋", 5},
	{"唐", 5}, {"许", 5}, {"韩", 5}, {"冯", 5}, {"邓", 5}, {"曹", 5}, {"彭", 4}, {"曾", 4},
	{"肖", 4}, {"田", 4}, {"董", 4}, {"袁", 4}, {"潘", 4}, {"于", 4}, {"蒋", 4}, {"蔡", 4},
	{"余", 3}, {"杜", 3}, {"叶", 3}, {"程", 3}, {"苏", 3}, {"魏", 3}, {"吕", 3}, {"丁", 3},
	{"任", 3}, {"沈", 3}, {"姚", 3}, {"卢", 3}, {"姜", 3}, {"崔", 2}, {"钟", 2}, {"谭", 2},
	{"陆", 2}, {"汪", 2}, {"范", 2}, {"金", 2}, {"石", 2}, {"廖", 2}, {"贾", 2}, {"夏", 2},
}

var surnameTotal = func() int {
	n := 0
	for _, s := range surnames {
		n += s.weight
	}
	return n
}()

// Given names follow fashion, so the pools differ by generation: whole
// names typical of people born before 1970 (建国, 秀英), of the 1970s to
// 2000s (志刚, 丽娟) and of children born since (子涵, 浩宇); the middle
// generation also often has one-character names. Drawing whole names rather
// than free pairs of characters keeps every name plausible.
var (
	oldMale = []string{
		"建国", "建华", "国强", "志强", "建军", "国华", "德明", "永胜", "振华", "国庆",
		"建平", "文华", "卫东", "保国", "福生", "长林", "水生", "家明", "德胜", "树林",
		"国平", "金山", "玉林", "海生", "春生", "忠",
	}
	oldFemale = []string{
		"秀英", "桂英", "玉兰", "桂兰", "淑珍", "秀兰", "凤英", "玉珍", "秀珍", "桂珍",
		"玉梅", "淑英", "凤兰", "翠英", "素芳", "美华", "丽华", "秀云", "桂芳", "玉英",
		"淑兰", "秀芳", "金凤", "红英", "兰英", "芳",
	}
	midMale = []string{
		"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "刚", "鹏", "辉", "峰", "亮",
		"志刚", "海涛", "晓明", "建伟", "俊杰", "志伟", "永强", "国栋", "晓东", "鹏飞",
		"海峰", "宏伟", "春雷", "文杰", "立新", "明辉", "振宇", "浩然", "家豪", "子健",
		"文博", "天宇", "嘉伟", "少华", "晓峰", "志勇", "云飞", "卫国", "海波", "文斌",
	}
	midFemale = []string{
		"敏", "静", "丽", "艳", "娟", "芳", "霞", "燕", "玲", "婷", "娜", "丹", "莉", "萍",
		"丽娟", "晓燕", "海燕", "丽萍", "雪梅", "晓红", "春燕", "美玲", "秀丽", "婷婷",
		"丹丹", "晓丽", "慧敏", "雅琴", "玉洁", "文静", "亚楠", "晓婷", "佳慧", "红梅",
		"晓静", "丽君", "思琪", "倩", "颖", "雪", "月华", "琳", "晶晶", "凤霞",
	}
	youngMale = []string{
		"子涵", "浩然", "梓轩", "宇轩", "一诺", "浩宇", "俊熙", "博文", "子墨", "沐宸",
		"宇航", "皓轩", "睿泽", "奕辰", "晨阳", "铭轩", "泽宇", "一鸣", "子豪", "天佑",
		"俊杰", "梓睿", "嘉懿", "宇泽", "明哲", "思远", "子轩", "承泽", "锦程", "逸飞",
		"景行", "浩轩", "昊天", "煜城", "书恒", "嘉树", "瑞霖", "彦博", "若愚", "致远",
		"航", "睿", "哲", "宸",
	}
	youngFemale = []string{
		"子涵", "欣怡", "梓萱", "诗涵", "雨桐", "可馨", "思彤", "语桐", "欣妍", "梓涵",
		"若汐", "佳怡", "诗琪", "雨萱", "梦瑶", "可欣", "紫涵", "芷若", "依诺", "语嫣",
		"思雨", "雅琪", "心怡", "欣悦", "梓琪", "一诺", "安琪", "艺涵", "沐瑶", "诗雨",
		"晨曦", "若曦", "钰彤", "语彤", "佳琪", "雨菲", "静怡", "书瑶", "嘉欣", "子琪",
		"悦", "瑶", "彤", "萱",
	}
)

// pickSurname draws a surname by weight.
func pickSurname(rng *rand.Rand) string {
	n := rng.IntN(surnameTotal)
	for _, s := range surnames {
		if n < s.weight {
			return s.name
		}
		n -= s.weight
	}
	return surnames[0].name
}

// givenName draws a given name fitting the gender ("M" or "F") and the
// birth year.
func givenName(rng *rand.Rand, gender string, birthYear int) string {
	var pool []string
	switch {
	case birthYear < 1970 && gender == "M":
		pool = oldMale
	case birthYear < 1970:
		pool = oldFemale
	case birthYear < 2005 && gender == "M":
		pool = midMale
	case birthYear < 2005:
		pool = midFemale
	case gender == "M":
		pool = youngMale
	default:
		pool = youngFemale
	}
	return pool[rng.IntN(len(pool))]
}
