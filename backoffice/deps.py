"""Typed dependencies for back-office handlers, the way fastapi's full-stack template does it (app/api/deps.py):

    @router.post("/escalations/{escalation_id}/claim")
    async def claim(session: SessionDep, actor: CurrentActor, escalation: EscalationDep) -> Response:
        require(actor, "claim", escalation)          # workflows.access: the one rule book
        await service.claim(session, escalation=escalation, actor=actor)

- `SessionDep`: one transaction per request, committed after the handler returns and before the response is sent;
  rolled back when the handler raises. `await discard(session)` drops the changes but keeps the answer.
- `CurrentStaff` / `CurrentActor`: the logged-in staff member (401/redirect without a session) and their Actor.
- `Staff("repairs")` / `Staff("repairs", "assign")`: the same, but 403 unless the section allows it
  (workflows.access.rules.SECTIONS).
- `EscalationDep`, `RepairDep`, …: the row named by the path parameter, if it is in the staff member's
  communities and their role may open its section; otherwise 404/403. `scoped_row(Model, "param", "section")`
  makes one for a new kind of record.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice import messages as m
from backoffice.security import current_staff, runtime_of, scoped
from workflows.access import Actor, allowed_actions
from workflows.activities.models import Activity
from workflows.announcements.models import Announcement
from workflows.bindings.models import BindingRequest
from workflows.community.models import Community, Household
from workflows.complaints.models import Complaint
from workflows.escalations.models import Escalation
from workflows.repairs.models import RepairTicket
from workflows.staff.models import StaffUser

T = TypeVar("T")


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit when the handler returns, roll back when it raises."""
    async with runtime_of(request).sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def discard(session: AsyncSession) -> None:
    """Drop this request's changes (a refused action that still answers with a page or a message)."""
    await session.rollback()


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


async def current_actor(staff: CurrentStaff) -> Actor:
    return Actor.of_staff(staff)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def section_access(section: str, action: str = "view") -> Callable[..., Awaitable[StaffUser]]:
    """A dependency: the current staff member if their role may take `action` in `section`, else 403."""

    async def dependency(staff: CurrentStaff) -> StaffUser:
        if action not in allowed_actions(Actor.of_staff(staff), section):
            raise HTTPException(status_code=403, detail=m.FORBIDDEN)
        return staff

    dependency.section = (section, action)  # type: ignore[attr-defined]  # read by the route sweep test
    return dependency


_staff_dependencies: dict[tuple[str, str], Any] = {}


def Staff(section: str, action: str = "view") -> Any:  # noqa: N802 - reads like a type in a signature
    """`staff: Staff("repairs")`: the current staff member, 403 unless the section allows the action."""
    key = (section, action)
    if key not in _staff_dependencies:
        _staff_dependencies[key] = Annotated[StaffUser, Depends(section_access(section, action))]
    return _staff_dependencies[key]


def scoped_row(model: type[T], path_param: str, section: str) -> Callable[..., Awaitable[T]]:
    """A dependency loading `model` by the integer path parameter `path_param`: 403 when the role may not open
    `section`, 404 when the row does not exist or belongs to a community the staff member does not serve."""
    access = section_access(section)

    async def load(**kwargs: Any) -> T:
        staff: StaffUser = kwargs["staff"]
        session: AsyncSession = kwargs["session"]
        statement = scoped(select(model).where(model.id == kwargs[path_param]), model, staff)  # type: ignore[attr-defined]
        row = await session.scalar(statement)
        if row is None:
            raise HTTPException(status_code=404, detail=m.NOT_FOUND)
        return row

    load.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(path_param, inspect.Parameter.KEYWORD_ONLY, annotation=int),
        inspect.Parameter("session", inspect.Parameter.KEYWORD_ONLY, annotation=SessionDep),
        inspect.Parameter("staff", inspect.Parameter.KEYWORD_ONLY,
                          annotation=Annotated[StaffUser, Depends(access)]),
    ])
    load.__name__ = f"load_{model.__name__}"
    return load


async def community_in_scope(community_id: int, session: SessionDep,
                             staff: Annotated[StaffUser, Depends(section_access("communities"))]) -> Community:
    """The community named by the path (小区设置): 403 unless the role may open the section, 404 if it does not
    exist or is not the staff member's."""
    community = await session.get(Community, community_id)
    if community is None or not Actor.of_staff(staff).serves(community.id):
        raise HTTPException(status_code=404, detail=m.NOT_FOUND)
    return community


CommunityDep = Annotated[Community, Depends(community_in_scope)]


async def staff_account(staff_id: int, session: SessionDep,
                        manager: Annotated[StaffUser, Depends(section_access("staff"))]) -> StaffUser:
    """The staff account named by the path (员工): 404 unless the rule book lets the manager see it."""
    other = await session.get(StaffUser, staff_id)
    if other is None or "view" not in allowed_actions(Actor.of_staff(manager), other):
        raise HTTPException(status_code=404, detail=m.NOT_FOUND)
    return other


StaffAccountDep = Annotated[StaffUser, Depends(staff_account)]
EscalationDep = Annotated[Escalation, Depends(scoped_row(Escalation, "escalation_id", "escalations"))]
RepairDep = Annotated[RepairTicket, Depends(scoped_row(RepairTicket, "ticket_id", "repairs"))]
ComplaintDep = Annotated[Complaint, Depends(scoped_row(Complaint, "complaint_id", "complaints"))]
HouseholdDep = Annotated[Household, Depends(scoped_row(Household, "household_id", "residents"))]
BindingRequestDep = Annotated[BindingRequest, Depends(scoped_row(BindingRequest, "request_id", "residents"))]
AnnouncementDep = Annotated[Announcement, Depends(scoped_row(Announcement, "announcement_id", "announcements"))]
ActivityDep = Annotated[Activity, Depends(scoped_row(Activity, "activity_id", "activities"))]
