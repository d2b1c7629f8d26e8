"""What 积分 says (Chinese, in one place): owners' chat replies and the reasons a staff form or a redemption is
refused."""

ON_TIME_REASON = "按时缴费 {period}"
STREAK_REASON = "连续 {months} 个月按时缴费（至 {period}）"
REDEEM_REASON = "兑换 {reward}"
AWARDED = "感谢您按时缴费！积分 +{points}（{reasons}），当前积分 {balance} 分。回复“我的积分”查看明细。"

RULE_LABELS = {"on_time": "按时缴费", "streak": "连续按时缴费"}
BAD_POINTS = "请填写 1 到 10000 之间的整数积分"
BAD_MONTHS = "连续月数请填写 2 到 24 之间的整数"
BAD_KIND = "请选择规则类型"
BAD_NAME = "请填写礼品名称（不超过 40 个字）"
BAD_COST = "兑换所需积分必须是 1 到 100000 之间的正整数"
BAD_STOCK = "库存请填写 0 到 100000 之间的整数"

NOT_ENOUGH = "积分不足：您现在有 {balance} 分，兑换「{reward}」需要 {cost} 分。"
OUT_OF_STOCK = "「{reward}」已经兑完了，请选择其他礼品。"
REWARD_GONE = "这个礼品已下架，请选择其他礼品。"
NOT_YOURS = "这套房屋没有绑定在您的微信上。"
ALREADY_USED = "这个兑换码已经使用过了（{when}）。"
NO_SUCH_CODE = "没有找到这个兑换码。"
