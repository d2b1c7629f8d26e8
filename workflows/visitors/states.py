"""The visitor pass state machine: 有效 → 已使用 (the last allowed entry) | 已取消. The window is time, not state: a
pass outside its window stays active and is refused. workflows/visitors/service.py is the only code applying it."""

from workflows.statemachine import Transition
from workflows.visitors.models import PassStatus as S

GATE = {"system"}  # an entry at a gate
OWNER_OR_DESK = {"owner", "admin", "manager", "front_desk", "security"}

TRANSITIONS = {
    (S.ACTIVE, "enter"): Transition(S.ACTIVE, roles=GATE),  # an entry with uses left afterwards
    (S.ACTIVE, "enter_last"): Transition(S.USED, roles=GATE),  # the last allowed entry
    (S.ACTIVE, "revoke"): Transition(S.REVOKED, roles=OWNER_OR_DESK),  # 我的访客 → 取消
}
