"""What 催缴 says (Chinese, in one place): short and polite; the owner is never scolded."""

REMINDER_TEXT = ("【缴费提醒】{name}您好，{household}有 {count} 笔费用已过缴费日期，共 {total} 元。"
                 "方便时回复“缴费”即可在线缴纳；如已缴纳，请忽略本消息。谢谢您的支持！")
CANCELLED_REASON = "已缴费，提醒不再发送"
BAD_INTERVAL = "请填写 1 到 90 之间的天数"
BAD_QUIET_HOURS = "请按 21:00-08:00 的格式填写免打扰时段"
BAD_TIMEZONE = "不认识这个时区，例如 Asia/Shanghai"
