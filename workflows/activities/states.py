"""The activity state machine (社区活动): 报名中 → 已取消. Sign-ups change counts by conditional UPDATEs, not the
state."""

from workflows.access.roles import DESK
from workflows.activities.models import ActivityStatus as S
from workflows.statemachine import Transition

TRANSITIONS = {
    (S.OPEN, "cancel"): Transition(S.CANCELLED, roles=DESK),
}
