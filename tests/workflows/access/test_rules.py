"""The rule book on plain rows (no database): sections, scope, technicians' own orders, complaints about oneself,
shared FAQ entries, and which staff accounts a manager manages."""

from __future__ import annotations

import pytest

from workflows.access import SYSTEM, Actor, ActorKind, Forbidden, allowed_actions, may, require, roles
from workflows.complaints.models import Complaint, ComplaintStatus
from workflows.escalations.models import Escalation, EscalationStatus
from workflows.faq.models import FaqEntry
from workflows.repairs.models import RepairStatus, RepairTicket
from workflows.staff.models import Role, StaffCommunity, StaffUser

HOME, OTHER = 1, 2


def staff(role: Role, staff_id: int, *communities: int) -> StaffUser:
    row = StaffUser(id=staff_id, username=f"u{staff_id}", display_name="x", role=role)
    row.assignments = [StaffCommunity(staff_id=staff_id, community_id=c) for c in communities]
    return row


def actor(role: Role, staff_id: int = 10, *communities: int) -> Actor:
    return Actor.of_staff(staff(role, staff_id, *(communities or (HOME,))))


def test_actor_kinds_and_ids_for_audit_rows() -> None:
    assert actor(Role.MANAGER, 3).kind == ActorKind.STAFF and actor(Role.MANAGER, 3).actor_id == "3"
    owner = Actor.owner("o-1")
    assert owner.kind == ActorKind.OWNER and owner.actor_id == "o-1" and owner.role == roles.OWNER
    assert SYSTEM.kind == ActorKind.SYSTEM and SYSTEM.actor_id == ""
    assert Actor(role="front_desk", staff_id=3).kind == ActorKind.STAFF  # the short form services' tests use


def test_sections_follow_the_role_groups() -> None:
    assert allowed_actions(actor(Role.TECHNICIAN), "repairs") == {"view"}
    assert allowed_actions(actor(Role.FRONT_DESK), "repairs") == {"view", "assign", "export"}
    assert not may(actor(Role.TECHNICIAN), "view", "escalations")
    assert may(actor(Role.FINANCE), "view", "dashboard") and not may(actor(Role.FINANCE), "view", "residents")
    assert may(actor(Role.ADMIN, 1), "view", "audit") and not may(actor(Role.FRONT_DESK), "view", "audit")
    assert allowed_actions(Actor.owner("o-1"), "repairs") == set()


def ticket(status: RepairStatus, community: int = HOME, assignee: int | None = None) -> RepairTicket:
    return RepairTicket(id=1, number="BX-1", community_id=community, openid="o-1", status=status,
                        assignee_id=assignee, category="水电")


def test_a_technician_acts_on_own_orders_and_may_only_take_others() -> None:
    tech = actor(Role.TECHNICIAN, 7)
    assert "start" in allowed_actions(tech, ticket(RepairStatus.ACCEPTED, assignee=7))
    assert allowed_actions(tech, ticket(RepairStatus.ACCEPTED, assignee=8)) == {"comment"}
    assert allowed_actions(tech, ticket(RepairStatus.DISPATCHED, assignee=8)) == {"accept", "comment"}
    assert "assign" not in allowed_actions(tech, ticket(RepairStatus.PENDING_DISPATCH))


def test_another_communitys_order_offers_nothing() -> None:
    assert allowed_actions(actor(Role.MANAGER), ticket(RepairStatus.DISPATCHED, community=OTHER)) == set()
    assert "assign" in allowed_actions(actor(Role.ADMIN, 1), ticket(RepairStatus.PENDING_DISPATCH, community=OTHER))


def test_owners_act_on_their_own_tickets_only() -> None:
    done = ticket(RepairStatus.COMPLETED)
    assert {"rate", "reopen"} <= allowed_actions(Actor.owner("o-1"), done)
    assert allowed_actions(Actor.owner("o-2"), done) == set()


def test_a_complaint_never_reaches_the_person_it_is_about() -> None:
    complaint = Complaint(id=1, number="TS-1", community_id=HOME, openid="o-1", status=ComplaintStatus.RECEIVED,
                          about_staff_id=10, category="服务")
    assert allowed_actions(actor(Role.FRONT_DESK, 10), complaint) == set()
    assert "reply" in allowed_actions(actor(Role.FRONT_DESK, 11), complaint)


def test_escalation_buttons_follow_the_table() -> None:
    escalation = Escalation(id=1, number="RG-1", community_id=HOME, openid="o-1", status=EscalationStatus.OPEN)
    assert allowed_actions(actor(Role.FRONT_DESK), escalation) == {"claim", "reply", "resolve", "faq"}
    assert allowed_actions(actor(Role.TECHNICIAN), escalation) == set()


def test_shared_faq_entries_are_admins_to_change() -> None:
    shared = FaqEntry(id=1, community_id=None, question="q", answer="a")
    assert allowed_actions(actor(Role.MANAGER), shared) == {"view"}
    assert "delete" in allowed_actions(actor(Role.ADMIN, 1), shared)


@pytest.mark.parametrize(("target", "expected"), [
    (staff(Role.TECHNICIAN, 20, HOME), {"view", "unlock", "deactivate", "activate"}),
    (staff(Role.MANAGER, 21, HOME), {"view"}),  # another manager: seen, not managed
    (staff(Role.FRONT_DESK, 22, HOME, OTHER), {"view"}),  # also serves a community the manager does not manage
    (staff(Role.FRONT_DESK, 23, OTHER), set()),
    (staff(Role.ADMIN, 24), set()),
])
def test_managers_manage_front_line_roles_of_their_own_communities(target: StaffUser, expected: set[str]) -> None:
    assert allowed_actions(actor(Role.MANAGER, 10, HOME), target) == expected


def test_nobody_deactivates_themselves_and_admins_manage_managers() -> None:
    admin = staff(Role.ADMIN, 1)
    assert allowed_actions(Actor.of_staff(admin), admin) == {"view"}
    assert "deactivate" in allowed_actions(Actor.of_staff(admin), staff(Role.MANAGER, 21, HOME))


def test_require_raises_forbidden() -> None:
    with pytest.raises(Forbidden):
        require(actor(Role.TECHNICIAN), "view", "staff")
    with pytest.raises(TypeError):
        allowed_actions(actor(Role.MANAGER), object())
