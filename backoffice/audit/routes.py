"""操作记录: the audit log of staff actions (who, when, what, before/after), for managers and admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import SessionDep, Staff
from backoffice.exports import xlsx_response
from backoffice.rendering import NavLink, Section, render
from backoffice.security import is_admin
from workflows.access import ActorKind
from workflows.audit.models import AuditEvent
from workflows.staff.models import StaffUser

router = APIRouter()
PAGE = 100
ENTITIES = {"": "全部", "escalation": "转人工", "repair": "报修", "complaint": "投诉", "announcement": "公告",
            "activity": "活动", "household": "房屋", "resident": "住户", "binding": "绑定",
            "binding_request": "绑定申请", "roster": "名册导入", "staff": "员工"}


def _who(event: AuditEvent, names: dict[str, str]) -> str:
    """The staff member's name for staff rows (by the actor_id column), else the row's readable label."""
    if event.actor_kind == ActorKind.STAFF:
        return names.get(event.actor_id, f"员工{event.actor_id}")
    return "业主" if event.actor_kind == ActorKind.OWNER else event.actor


async def _events(session: AsyncSession, staff: StaffUser, entity: str, actor: str, before_id: int | None
                  ) -> tuple[list[AuditEvent], dict[int, str]]:
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE)
    if not is_admin(staff):  # events without a community (logins, lockouts) are the admins' to see
        statement = statement.where(AuditEvent.community_id.in_(staff.community_ids or {-1}))
    if entity:
        statement = statement.where(AuditEvent.entity_type == entity)
    if actor.strip():  # a staff member's name or username, an openid, or part of the label
        text = actor.strip()
        named = [str(i) for i in await session.scalars(select(StaffUser.id).where(
            or_(StaffUser.display_name == text, StaffUser.username == text)))]
        statement = statement.where(or_(
            (AuditEvent.actor_kind == ActorKind.STAFF) & AuditEvent.actor_id.in_(named),
            AuditEvent.actor_id == text, AuditEvent.actor.like(f"%{text}%")))
    if before_id:
        statement = statement.where(AuditEvent.id < before_id)
    events = list(await session.scalars(statement))
    ids = {int(e.actor_id) for e in events if e.actor_kind == ActorKind.STAFF and e.actor_id.isdigit()}
    rows = await session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids)))
    names = {str(i): name for i, name in rows.tuples()}  # one query for every author on the page
    return events, {e.id: _who(e, names) for e in events}


@router.get("/audit", include_in_schema=False)
async def audit_log(request: Request, session: SessionDep, staff: Staff("audit"), entity: str = "", actor: str = "",
                    before: int = 0, format: str = "") -> Response:
    events, names = await _events(session, staff, entity, actor, before or None)
    if format == "xlsx":
        return xlsx_response("操作记录", ["时间", "操作人", "对象", "编号", "操作", "从", "到", "说明", "数据"],
                             [[e.created_at, names[e.id], ENTITIES.get(e.entity_type, e.entity_type),
                               e.entity_id, e.action, e.from_state, e.to_state, e.reason, str(e.data)]
                              for e in events])
    return render(request, "audit/list.html", {"events": events, "names": names, "entities": ENTITIES,
                                               "entity": entity, "actor": actor,
                                               "next_before": events[-1].id if len(events) == PAGE else 0})


section = Section(name="audit", router=router,
                  nav=[NavLink("操作记录", "/admin/audit", section="audit", order=80)])
