"""操作记录: the audit log of staff actions (who, when, what, before/after), for managers and admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import or_, select

from backoffice.deps import section_access
from backoffice.exports import xlsx_response
from backoffice.rendering import NavLink, Section, render
from backoffice.security import is_admin, runtime_of
from workflows.audit.models import AuditEvent
from workflows.db import transaction
from workflows.staff.models import StaffUser

router = APIRouter()
may_audit = section_access("audit")
PAGE = 100
ENTITIES = {"": "全部", "escalation": "转人工", "repair": "报修", "complaint": "投诉", "announcement": "公告",
            "activity": "活动", "household": "房屋", "resident": "住户", "binding": "绑定",
            "binding_request": "绑定申请", "roster": "名册导入", "staff": "员工"}


async def _events(request: Request, staff: StaffUser, entity: str, actor: str, before_id: int | None
                  ) -> tuple[list[AuditEvent], dict[str, str]]:
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE)
    if not is_admin(staff):  # events without a community (logins, lockouts) are the admins' to see
        statement = statement.where(AuditEvent.community_id.in_(staff.community_ids or {-1}))
    if entity:
        statement = statement.where(AuditEvent.entity_type == entity)
    if actor.strip():
        statement = statement.where(or_(AuditEvent.actor == actor.strip(), AuditEvent.actor.like(f"%{actor.strip()}%")))
    if before_id:
        statement = statement.where(AuditEvent.id < before_id)
    async with transaction(runtime_of(request).sessions) as session:
        events = list(await session.scalars(statement))
        names = {f"staff:{s.id}": f"{s.display_name}" for s in await session.scalars(select(StaffUser))}
    return events, names


@router.get("/audit", include_in_schema=False)
async def audit_log(request: Request, entity: str = "", actor: str = "", before: int = 0, format: str = "",
                    staff: StaffUser = Depends(may_audit)) -> Response:
    events, names = await _events(request, staff, entity, actor, before or None)
    if format == "xlsx":
        return xlsx_response("操作记录", ["时间", "操作人", "对象", "编号", "操作", "从", "到", "说明", "数据"],
                             [[e.created_at, names.get(e.actor, e.actor), ENTITIES.get(e.entity_type, e.entity_type),
                               e.entity_id, e.action, e.from_state, e.to_state, e.reason, str(e.data)]
                              for e in events])
    return render(request, "audit/list.html", {"events": events, "names": names, "entities": ENTITIES,
                                               "entity": entity, "actor": actor,
                                               "next_before": events[-1].id if len(events) == PAGE else 0})


section = Section(name="audit", router=router,
                  nav=[NavLink("操作记录", "/admin/audit", section="audit", order=80)])
