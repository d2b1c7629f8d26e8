"""What 我的积分 and 积分兑换 say (Chinese, in one place)."""

POINTS_TRIGGERS = ("我的积分", "积分", "查积分", "积分查询", "积分余额")
REDEEM_TRIGGERS = ("积分兑换", "兑换", "兑换礼品", "积分换礼品", "兑换积分")

BALANCE = "{household}：当前积分 {balance} 分"
ENTRY = "· {when} {reason} {points:+d}"
RECENT = "最近记录："
NO_ENTRIES = "还没有积分记录。每月在缴费截止日前缴清，就能得到积分。"
POINTS_FOOTER = "回复“积分兑换”可以用积分换停车优惠券、洗衣券等。"

REDEEM_HOUSEHOLD = "用哪套房屋的积分兑换？"
REDEEM_REWARD = "{household} 现有 {balance} 分。请回复序号选择礼品："
REWARD_LABEL = "{name}（{cost} 分，剩 {stock} 份）"
REWARD_SOLD_OUT = "{name}（{cost} 分，已兑完）"
NO_REWARDS = "小区暂时没有可兑换的礼品，敬请期待。"
REDEEM_CONFIRM = "用 {cost} 分兑换「{reward}」，兑换后 {household} 剩余 {left} 分。"
REDEEMED = ("兑换成功！「{reward}」的兑换码：{code}\n请到物业服务中心出示兑换码领取（也可截图保存）。"
            "{household} 剩余积分 {left} 分。")
