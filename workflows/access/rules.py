"""`allowed_actions(actor, thing)`: the one answer to “what may this actor do with this?”.

`thing` is a back-office section name ("repairs", "staff", …: the actions are "view" and a few section-wide ones
such as "assign" or "create") or a domain row (a work order, complaint, escalation, binding request, announcement,
activity, FAQ entry or staff account). For stateful rows the workflow's transition table says which actions exist
in the current state for the actor's role; the rules below add community scope and the per-kind conditions
(a technician's own orders, a complaint never reaching the person it is about, managers managing front-line roles
of their own communities only, shared FAQ entries being admins' only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows.access import roles
from workflows.access.actor import Actor
from workflows.activities.models import Activity
from workflows.activities.states import TRANSITIONS as ACTIVITY_TABLE
from workflows.announcements.models import Announcement
from workflows.announcements.states import TRANSITIONS as ANNOUNCEMENT_TABLE
from workflows.bindings.models import BindingRequest
from workflows.bindings.states import TRANSITIONS as BINDING_TABLE
from workflows.complaints.models import Complaint
from workflows.complaints.states import TRANSITIONS as COMPLAINT_TABLE
from workflows.escalations.models import Escalation
from workflows.escalations.states import TRANSITIONS as ESCALATION_TABLE
from workflows.faq.models import FaqEntry
from workflows.repairs.models import RepairTicket
from workflows.repairs.states import TRANSITIONS as REPAIR_TABLE
from workflows.staff.models import StaffUser
from workflows.statemachine import table_actions


class Forbidden(Exception):
    """The actor may not do this (wrong role, another community, not theirs). Edges answer 403/404 or a reply."""

    def __init__(self, action: str, thing: object) -> None:
        super().__init__(f"{action} not allowed on {type(thing).__name__}")
        self.action = action


# Back-office sections: which role group may take each section-wide action ("view" opens the section).
SECTIONS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "dashboard": {"view": roles.DASHBOARD},
    "escalations": {"view": roles.DESK},
    "repairs": {"view": roles.REPAIR_STAFF, "assign": roles.DESK, "export": roles.DESK},
    "complaints": {"view": roles.DESK},
    "residents": {"view": roles.DESK, "import": roles.DESK},
    "announcements": {"view": roles.DESK, "create": roles.DESK},
    "activities": {"view": roles.DESK, "create": roles.DESK},
    "faq": {"view": roles.DESK, "create": roles.DESK, "share": roles.ADMINS},
    "audit": {"view": roles.LEADS},
    "staff": {"view": roles.LEADS, "create": roles.LEADS},
    "communities": {"view": roles.ADMINS, "edit": roles.ADMINS},  # 小区设置: a community is the company's
    "alarms": {"view": roles.GATEHOUSE, "respond": roles.GUARDS},  # 报警
    "devices": {"view": roles.DEVICE_VIEWERS, "open": roles.GUARDS},  # 设备, 开闸
    "visitors": {"view": roles.GATEHOUSE, "rules": roles.LEADS},  # 访客; 访客规则 by the project manager
    "finance": {"view": roles.FINANCE_STAFF, "edit": roles.FINANCE_STAFF},  # 财务: bills, fees, payments, runs
    "me": {"view": roles.EVERY_STAFF},
    "duty": {"view": roles.GATE_STAFF | {roles.Role.FRONT_DESK}, "edit": roles.LEADS},  # 值班 roster
    "walk_ins": {"register": roles.GATE_STAFF | {roles.Role.FRONT_DESK}},  # 门岗登记, back office or WeChat
}


def section_roles(section: str, action: str = "view") -> frozenset[str]:
    """The role group of a section-wide action (for nav links and docs)."""
    return SECTIONS[section][action]


def _section(actor: Actor, section: str) -> set[str]:
    if not actor.is_staff:
        return set()
    return {action for action, group in SECTIONS.get(section, {}).items() if actor.role in group}


def _owner_of(actor: Actor, row: Any) -> bool:
    return actor.kind == roles.OWNER and actor.openid is not None and actor.openid == row.openid


def _from_table(actor: Actor, table: Mapping[Any, Any], row: Any) -> set[str]:
    """Table actions for the actor's role: staff within their communities, owners on their own rows."""
    if actor.is_staff and not actor.serves(row.community_id):
        return set()
    if actor.kind == roles.OWNER and not _owner_of(actor, row):
        return set()
    return set(table_actions(table, row.status, actor.role))


def _repair(actor: Actor, ticket: RepairTicket) -> set[str]:
    actions = _from_table(actor, REPAIR_TABLE, ticket)
    if not actor.is_staff or not actor.serves(ticket.community_id):
        return actions
    if actor.role == roles.Role.TECHNICIAN and ticket.assignee_id != actor.staff_id:
        actions &= {"accept"}  # another technician's order: only taking it (the service checks the skill group)
    actions.add("comment")
    if actor.in_group(roles.DESK) and ticket.is_open:
        actions.add("assign")
    return actions


def _complaint(actor: Actor, complaint: Complaint) -> set[str]:
    if actor.is_staff and actor.staff_id == complaint.about_staff_id:
        return set()  # a complaint never reaches the staff member it is about
    actions = _from_table(actor, COMPLAINT_TABLE, complaint)
    if actor.in_group(roles.DESK) and actor.serves(complaint.community_id):
        actions |= {"comment", "assign"}
    return actions


def _escalation(actor: Actor, escalation: Escalation) -> set[str]:
    actions = _from_table(actor, ESCALATION_TABLE, escalation)
    if actor.in_group(roles.DESK) and actor.serves(escalation.community_id):
        actions.add("faq")  # 转为常见问题
    return actions


def _desk_row(table: Mapping[Any, Any]) -> Callable[[Actor, Any], set[str]]:
    """A front-desk record (binding request, announcement, activity): desk staff of its community see it and take
    the actions its transition table offers in its state."""

    def rule(actor: Actor, row: Any) -> set[str]:
        if not (actor.in_group(roles.DESK) and actor.serves(row.community_id)):
            return set()
        return {"view"} | _from_table(actor, table, row)

    return rule


def _faq_entry(actor: Actor, entry: FaqEntry) -> set[str]:
    if not actor.in_group(roles.DESK):
        return set()
    if entry.community_id is None:  # shared by every community: only admins change it
        return {"view", "edit", "delete"} if actor.is_admin else {"view"}
    return {"view", "edit", "delete"} if actor.serves(entry.community_id) else set()


def _staff_account(actor: Actor, other: StaffUser) -> set[str]:
    """Admins manage everyone; a manager manages front-line roles whose communities are all the manager's own."""
    if not actor.in_group(roles.LEADS):
        return set()
    if actor.is_admin:
        manageable = True
    else:
        theirs = other.community_ids
        manageable = other.role in roles.FRONT_LINE and bool(theirs) and theirs <= actor.community_ids
        if not (manageable or (other.role != roles.Role.ADMIN and theirs & actor.community_ids)):
            return set()  # not even visible
    actions = {"view"}
    if manageable and other.id != actor.staff_id:
        actions |= {"unlock", "deactivate", "activate"}
    return actions


RULES: Mapping[type, Callable[[Actor, Any], set[str]]] = {
    RepairTicket: _repair, Complaint: _complaint, Escalation: _escalation,
    BindingRequest: _desk_row(BINDING_TABLE), Announcement: _desk_row(ANNOUNCEMENT_TABLE),
    Activity: _desk_row(ACTIVITY_TABLE), FaqEntry: _faq_entry, StaffUser: _staff_account,
}


def allowed_actions(actor: Actor, thing: object) -> set[str]:
    """Every action the actor may take on `thing` now (a section name or a domain row)."""
    if isinstance(thing, str):
        return _section(actor, thing)
    rule = RULES.get(type(thing))
    if rule is None:
        raise TypeError(f"no access rule for {type(thing).__name__}: add one to workflows/access/rules.py")
    return rule(actor, thing)


def may(actor: Actor, action: str, thing: object) -> bool:
    return action in allowed_actions(actor, thing)


def require(actor: Actor, action: str, thing: object) -> None:
    """Raise Forbidden unless the actor may take `action` on `thing`."""
    if not may(actor, action, thing):
        raise Forbidden(action, thing)
