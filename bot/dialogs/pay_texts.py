"""What the 缴费 and 收据 dialogs say (Chinese, in one place)."""

PAY_TRIGGERS = ("缴费", "交物业费", "交费", "缴物业费", "物业费缴费", "我要缴费", "我的账单", "查账单", "交水费",
                "交停车费")
NO_BILLS = "您绑定的房屋目前没有待缴账单，谢谢您按时缴费！"
BILLS_HEADER = "您有 {count} 笔待缴账单："
BILL_LINE = "{index}. {household} {period} {item} {amount} 元{late}"
BILL_LATE = "（含滞纳金 {late} 元）"
BILLS_TOTAL = "合计 {total} 元"
BILLS_ASK = "回复 0 全部缴清，或回复序号只缴其中几笔（如 1 3）。"
BILLS_INVALID = "请回复 0（全部缴清）或账单序号"
BILLS_EXAMPLE = "1 3"
BILLS_MIXED = "这些账单属于不同小区，请分开缴费：先选同一个小区的账单。"
LINK = ("请在 30 分钟内打开下面的链接完成支付（{count} 笔，共 {total} 元）：\n{url}\n"
        "支付完成后会收到收据；链接只限您本人使用。")
LINK_SANDBOX_NOTE = "\n（当前为沙箱环境：测试用，不会真实扣款。）"

RECEIPT_TRIGGERS = ("收据", "查收据", "我的收据")
RECEIPT_ASK = "请输入收据号（如 YGHY-SJ-20261207-0001），或回复“最近”查看最近一张。"
RECEIPT_EXAMPLE = "YGHY-SJ-20261207-0001"
RECEIPT_NONE = "您还没有缴费收据。"
LATEST_WORDS = ("最近", "最新", "最近一张")
