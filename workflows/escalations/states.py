"""The escalation state machine: 待处理 → 处理中 → 已解决 (and back to 待处理 when the owner writes again)."""

from workflows.access.roles import DESK as STAFF
from workflows.access.roles import OWNER
from workflows.escalations.models import EscalationStatus as S
from workflows.statemachine import Transition

TRANSITIONS = {
    (S.OPEN, "claim"): Transition(S.CLAIMED, roles=STAFF),
    (S.OPEN, "reply"): Transition(S.CLAIMED, roles=STAFF),  # answering claims it
    (S.CLAIMED, "reply"): Transition(S.CLAIMED, roles=STAFF),
    (S.CLAIMED, "release"): Transition(S.OPEN, roles=STAFF),
    (S.OPEN, "resolve"): Transition(S.RESOLVED, roles=STAFF),
    (S.CLAIMED, "resolve"): Transition(S.RESOLVED, roles=STAFF),
    (S.RESOLVED, "reopen"): Transition(S.OPEN, roles=STAFF | {OWNER}),
}
