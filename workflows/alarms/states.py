"""The alarm incident state machine: 未确认 → 已确认 → 已处理 (a manager may close an unacknowledged false alarm).
workflows/alarms/service.py is the only code applying it."""

from workflows.access.roles import GUARDS as RESPONDERS
from workflows.access.roles import LEADS
from workflows.alarms.models import IncidentStatus as S
from workflows.statemachine import Transition

TRANSITIONS = {
    (S.OPEN, "acknowledge"): Transition(S.ACKNOWLEDGED, roles=RESPONDERS),  # 确认：有人在处理
    (S.ACKNOWLEDGED, "resolve"): Transition(S.RESOLVED, roles=RESPONDERS),  # 已处理
    (S.OPEN, "resolve"): Transition(S.RESOLVED, roles=LEADS),  # 误报，经理直接关闭
}
