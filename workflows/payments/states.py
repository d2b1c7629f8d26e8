"""The payment order state machine (支付订单): created → prepaid → paid | closed | expired. One table; only
workflows/payments (orders.py, settle.py, scheduled.py) applies it through workflows.statemachine.

A notification or query saying an expired or closed order was paid after all is still money received: `pay` is
allowed from those states too (the money is credited, or flagged when the bills were paid meanwhile).
"""

from workflows.payments.models import OrderStatus as S
from workflows.statemachine import Transition

SYSTEM = {"system"}  # the notification handler, order queries, timers
OWNER = {"owner"}
FINANCE = {"admin", "manager", "finance"}  # offline payments (现金、转账、POS、银行代扣)

TRANSITIONS = {
    (S.CREATED, "prepay"): Transition(S.PREPAID, roles=SYSTEM | OWNER),  # 统一下单 returned a prepay_id
    (S.CREATED, "pay"): Transition(S.PAID, roles=SYSTEM | FINANCE),  # staff recorded money received
    (S.PREPAID, "pay"): Transition(S.PAID, roles=SYSTEM),  # a verified notification or an order query
    (S.EXPIRED, "pay"): Transition(S.PAID, roles=SYSTEM),  # paid just before it expired; told late
    (S.CLOSED, "pay"): Transition(S.PAID, roles=SYSTEM),
    (S.CREATED, "close"): Transition(S.CLOSED, roles=SYSTEM | OWNER | FINANCE),
    (S.PREPAID, "close"): Transition(S.CLOSED, roles=SYSTEM | OWNER | FINANCE),  # replaced by a newer order
    (S.PREPAID, "expire"): Transition(S.EXPIRED, roles=SYSTEM),  # unpaid at time_expire
}
