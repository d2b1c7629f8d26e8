"""The binding request state machine (绑定申请): 待审核 → 已通过 / 已拒绝, decided once by the front desk."""

from workflows.access.roles import DESK
from workflows.bindings.models import BindingRequestStatus as S
from workflows.statemachine import Transition

TRANSITIONS = {
    (S.PENDING, "approve"): Transition(S.APPROVED, roles=DESK),
    (S.PENDING, "reject"): Transition(S.REJECTED, roles=DESK),
}
