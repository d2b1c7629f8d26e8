"""What staff read about alarms in WeChat (报警通知); the back office has its own templates."""

ALARM_TO_STAFF = ("【报警】{community} {device}（{location}）{alarm}，{time}。紧急工单 {ticket}。"
                  "请立即处理，并回复“确认 {number}”或在后台确认。")
ALARM_ESCALATED = ("【报警未确认】{community} {device}（{location}）{alarm} 已 {minutes} 分钟无人确认，"
                   "请立即处理，并回复“确认 {number}”或在后台确认。")
ALARM_ACKNOWLEDGED = "报警 {number} 已由 {name} 确认处理。"
REPAIR_DESCRIPTION = "【设备报警 {number}】{device}（{location}）{alarm}{detail}"
