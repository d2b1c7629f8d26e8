"""The complaint state machine (投诉): 已受理 → 处理中 → 已回复 → 业主确认解决 / 不满意 → 升级 → 关闭.
One table; workflows/complaints/service.py is the only code applying it."""

from workflows.access.roles import DESK, OWNER
from workflows.access.roles import LEADS as LEAD
from workflows.access.roles import SYSTEM as SYSTEM_ROLE
from workflows.complaints.models import ComplaintStatus as S
from workflows.statemachine import Transition

SYSTEM = {SYSTEM_ROLE}

TRANSITIONS = {
    (S.RECEIVED, "start"): Transition(S.IN_PROGRESS, roles=DESK),  # 开始处理
    (S.RECEIVED, "reply"): Transition(S.REPLIED, roles=DESK),
    (S.IN_PROGRESS, "reply"): Transition(S.REPLIED, roles=DESK),  # 回复业主
    (S.REPLIED, "reply"): Transition(S.REPLIED, roles=DESK),  # 补充回复
    (S.REPLIED, "confirm"): Transition(S.RESOLVED, roles={OWNER}),  # 业主确认解决
    (S.REPLIED, "reject"): Transition(S.UNSATISFIED, roles={OWNER}),  # 不满意
    (S.UNSATISFIED, "escalate"): Transition(S.ESCALATED, roles=DESK | SYSTEM),  # 升级到项目经理
    (S.RECEIVED, "escalate"): Transition(S.ESCALATED, roles=DESK),
    (S.IN_PROGRESS, "escalate"): Transition(S.ESCALATED, roles=DESK),
    (S.ESCALATED, "reply"): Transition(S.REPLIED, roles=LEAD),
    (S.RESOLVED, "close"): Transition(S.CLOSED, roles=DESK | SYSTEM),
    (S.REPLIED, "close"): Transition(S.CLOSED, roles=DESK | SYSTEM),  # 业主久未答复
    (S.ESCALATED, "close"): Transition(S.CLOSED, roles=LEAD),
}

ACTION_LABELS = {"start": "开始处理", "reply": "回复业主", "confirm": "确认解决", "reject": "不满意",
                 "escalate": "升级给经理", "close": "关闭"}
