"""The announcement state machine (公告): 草稿 → 已发布 → 已撤回. The demo publishes as the system."""

from workflows.access.roles import DESK, SYSTEM
from workflows.announcements.models import AnnouncementStatus as S
from workflows.statemachine import Transition

TRANSITIONS = {
    (S.DRAFT, "publish"): Transition(S.PUBLISHED, roles=DESK | {SYSTEM}),
    (S.PUBLISHED, "withdraw"): Transition(S.WITHDRAWN, roles=DESK),
}
