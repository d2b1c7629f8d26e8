"""User-facing text of payments (Chinese, in one place): chat messages, refusals, receipts."""

PAID_MESSAGE = ("缴费成功，谢谢！\n收据 {receipt}：{households}\n{lines}\n合计 {total} 元（{method}）\n"
                "回复「收据 {receipt}」可再次查看。")
RECEIPT_LINE = "· {period} {item} {amount} 元{late}"
RECEIPT_LATE = "（含滞纳金 {late} 元）"
RECEIPT_TEXT = "收据 {number}\n{households}\n{lines}\n合计 {total} 元 · {method} · {time}"
RECEIPT_NOT_FOUND = "没有找到这张收据，请核对收据号（如 YGHY-SJ-20261207-0001）。"

BILL_NOT_PAYABLE = "账单已缴清或已作废，请重新打开缴费"
BILL_NOT_YOURS = "这些账单不属于您绑定的房屋"
BILLS_MIXED = "请分别为不同小区的账单缴费"
NO_BILLS = "请至少选择一笔账单"
AMOUNT_CHANGED = "应缴金额已变化（例如产生了滞纳金），请重新打开缴费"
ALREADY_PAID = "这些账单已经缴清，无需再付"
METHOD_NOT_OFFLINE = "请选择线下收款方式（现金、转账、POS、银行代扣）"

ISSUE_AMOUNT = "支付金额与订单不符：订单 {number} 应付 {expected} 元，实付 {paid} 元；账单未核销"
ISSUE_DOUBLE = "重复支付：订单 {number} 的账单已由其他订单缴清，已付 {paid} 元需退款"
ISSUE_UNKNOWN = "收到未知订单 {out_trade_no} 的支付通知（{amount} 元）"
