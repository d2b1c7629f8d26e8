"""User-facing text of billing (Chinese, in one place): validation reasons shown beside form fields and in chat."""

NAME_REQUIRED = "请填写收费项目名称（不超过 40 个字）"
PRICE_NOT_NUMBER = "单价要填数字，例如 2.80"
PRICE_NEGATIVE = "单价不能是负数或 0"
PRICE_ABSURD = "单价 {price} 元/{unit} 不合常理（上限 {limit} 元），请检查是否多输了位数"
DUE_DAY = "缴费截止日要在每月 1–28 日之间"
DATES_ORDER = "停用日期不能早于生效日期"
OVERLAP = "同名收费项目「{name}」在 {start} 起已有生效的价格，生效期不能重叠；请先给旧项目设置停用日期"
LATE_RATE = "滞纳金日费率要在 0 到 0.01（每日 1%）之间，例如万分之五填 0.0005"
LATE_CAP = "滞纳金上限比例要在 0 到 1 之间（1 表示不超过本金）"
GRACE_DAYS = "宽限天数要在 0–365 之间"
KIND_UNKNOWN = "请选择收费方式"
READING_NEGATIVE = "读数不能是负数"
READING_NOT_NUMBER = "读数要填数字，例如 1234.5"
READING_LOWER = "本期读数 {value} 低于上期（{period}）的 {previous}，请核对；换表请先联系财务"
READING_HIGHER_THAN_NEXT = "读数 {value} 高于之后（{period}）的 {next}，请核对"
READING_NOT_METERED = "「{name}」不是按用量收费的项目"
PERIOD_FORMAT = "账期要写成 2026-12 这样的年月"
AMOUNT_INVALID = "金额要大于 0 且不超过 100 万元"
WRONG_COMMUNITY = "房屋和收费项目不属于同一个小区"
ONE_OFF_EXISTS = "这户本账期已有这项一次性收费"

KIND_LABELS = {"area": "按面积", "fixed": "按户固定", "parking": "车位", "metered": "按用量", "one_off": "一次性"}
CYCLE_LABELS = {"monthly": "按月", "quarterly": "按季", "yearly": "按年"}
MODE_LABELS = {"prepaid": "预付", "postpaid": "后付"}
STATUS_LABELS = {"unpaid": "未缴", "paid": "已缴", "cancelled": "已作废"}
