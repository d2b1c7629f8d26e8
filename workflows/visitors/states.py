"""The visitor pass state machine: 有效 → 已使用 (the last allowed entry) | 已取消. The window is time, not state: a
pass outside its window stays active and is refused. workflows/visitors/service.py is the only code applying it."""

from workflows.statemachine import Transition
from workflows.visitors.models import PassStatus as S
from workflows.visitors.models import WalkInStatus as W

GATE = {"system"}  # an entry at a gate
OWNER_OR_DESK = {"owner", "admin", "manager", "front_desk", "security"}

TRANSITIONS = {
    (S.ACTIVE, "enter"): Transition(S.ACTIVE, roles=GATE),  # an entry with uses left afterwards
    (S.ACTIVE, "enter_last"): Transition(S.USED, roles=GATE),  # the last allowed entry
    (S.ACTIVE, "revoke"): Transition(S.REVOKED, roles=OWNER_OR_DESK),  # 我的访客 → 取消
}

# A walk-in (门岗登记): the household's owner answers 1 同意 / 2 拒绝 in WeChat; no answer in time → the guard calls.
WALK_IN_TRANSITIONS = {
    (W.PENDING, "approve"): Transition(W.APPROVED, roles={"owner", "system"}),  # system: no approval needed
    (W.PENDING, "deny"): Transition(W.DENIED, roles={"owner"}),
    (W.PENDING, "time_out"): Transition(W.TIMED_OUT, roles={"system"}),
}
