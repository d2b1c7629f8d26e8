"""Owner-facing Chinese text of the WeChat edge (the bot core's texts live in bot/texts.py)."""

BUSY = "系统有点忙，您的消息已收到，稍后回复您。"
SORRY = "抱歉，刚才没处理好，请稍后再发一次。"
