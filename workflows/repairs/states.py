"""The repair state machine (报修): 待派单 → 已派单 → 已接单 → 处理中 (↔ 待配件) → 已完成 → 已评价/已关闭; 已取消;
重新打开 within N days of completion. One table; workflows/repairs/service.py is the only code applying it.

Role groups come from workflows.access.roles (DESK: 派单、改派 from the back office; FIELD: a manager may act for a
technician), plus "owner" (the reporting owner, in chat) and "system" (timers).
"""

from workflows.access.roles import DESK, OWNER
from workflows.access.roles import FIELD as TECH
from workflows.access.roles import SYSTEM as SYSTEM_ROLE
from workflows.repairs.models import RepairStatus as S
from workflows.statemachine import Transition

SYSTEM = {SYSTEM_ROLE}

TRANSITIONS = {
    (S.PENDING_DISPATCH, "assign"): Transition(S.DISPATCHED, roles=DESK | SYSTEM),
    (S.DISPATCHED, "reassign"): Transition(S.DISPATCHED, roles=DESK),
    (S.ACCEPTED, "reassign"): Transition(S.DISPATCHED, roles=DESK),
    (S.DISPATCHED, "accept"): Transition(S.ACCEPTED, roles=TECH),  # 接单
    (S.DISPATCHED, "decline"): Transition(S.PENDING_DISPATCH, roles=TECH),  # 退单
    (S.ACCEPTED, "start"): Transition(S.IN_PROGRESS, roles=TECH),  # 出发/上门
    (S.IN_PROGRESS, "wait_parts"): Transition(S.AWAITING_PARTS, roles=TECH),  # 等配件
    (S.AWAITING_PARTS, "resume"): Transition(S.IN_PROGRESS, roles=TECH),
    (S.IN_PROGRESS, "complete"): Transition(S.COMPLETED, roles=TECH),  # 完工
    (S.COMPLETED, "rate"): Transition(S.RATED, roles={OWNER}),  # 业主确认并评价
    (S.COMPLETED, "close"): Transition(S.CLOSED, roles=DESK | SYSTEM),  # 无评价自动关闭
    (S.RATED, "close"): Transition(S.CLOSED, roles=DESK | SYSTEM),
    (S.COMPLETED, "reopen"): Transition(S.PENDING_DISPATCH, roles=DESK | {OWNER}),  # 没修好，重新打开
    (S.RATED, "reopen"): Transition(S.PENDING_DISPATCH, roles=DESK | {OWNER}),
    (S.CLOSED, "reopen"): Transition(S.PENDING_DISPATCH, roles=DESK | {OWNER}),
    (S.PENDING_DISPATCH, "cancel"): Transition(S.CANCELLED, roles=DESK | {OWNER}),
    (S.DISPATCHED, "cancel"): Transition(S.CANCELLED, roles=DESK | {OWNER}),
    (S.ACCEPTED, "cancel"): Transition(S.CANCELLED, roles=DESK | {OWNER}),
}

ACTION_LABELS = {
    "assign": "派单", "reassign": "改派", "accept": "接单", "decline": "退单", "start": "出发上门",
    "wait_parts": "等待配件", "resume": "继续处理", "complete": "完工", "rate": "评价", "close": "关闭",
    "reopen": "重新打开", "cancel": "取消",
}

# Owner is told at the steps that matter; other transitions are staff-internal.
OWNER_NOTIFIED = ("accept", "start", "wait_parts", "complete", "reassign_after_accept", "reopen", "cancel")
