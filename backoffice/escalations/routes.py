"""The escalation inbox (转人工): list with live badge, detail with transcript, claim, reply, resolve, 转为常见问题.

Pages under /admin/escalations, the same actions as JSON under /admin/api/escalations.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import CurrentActor, EscalationDep, SessionDep, section_access
from backoffice.escalations import queries as q
from backoffice.exports import xlsx_response
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import runtime_of
from knowledge.assistant import update_index
from workflows.access import Actor, allowed_actions, require
from workflows.audit.service import record_event
from workflows.escalations import service
from workflows.escalations.models import Escalation, EscalationReply
from workflows.faq.models import FaqEntry
from workflows.faq.service import create_entry_from_staff_answer
from workflows.staff.models import StaffUser
from workflows.statemachine import TransitionNotAllowed

log = logging.getLogger("linli.backoffice.escalations")
router = APIRouter()
may_answer = section_access("escalations")
InboxStaff = Annotated[StaffUser, Depends(may_answer)]
MAX_REPLY = 1000
ACTION_DONE = {"claim": "已认领，请尽快回复业主。", "release": "已放回待处理。", "resolve": "已标记为解决。"}
NOT_NOW = "这条转人工现在不能这样操作（可能已被别人处理或已解决），请刷新页面。"
TAKEN = "这条转人工刚被其他同事认领或处理了，请刷新页面。"


def _status(value: str) -> str:
    return value if value in q.FILTERS else "active"


@router.get("/escalations", include_in_schema=False)
async def inbox(request: Request, session: SessionDep, staff: InboxStaff, status: str = "active",
                format: str = "") -> Response:
    rows = await q.list_escalations(session, staff=staff, settings=runtime_of(request).settings,
                                    status=_status(status))
    if format == "xlsx":
        return xlsx_response("转人工", ["编号", "状态", "原因", "问题", "房屋", "处理人", "创建时间",
                                        "首次回复", "超时"],
                             [[r.escalation.number, q.STATUS_LABELS[r.escalation.status],
                               q.REASON_LABELS.get(r.escalation.reason, ""), r.escalation.question,
                               "、".join(r.households), r.claimed_by, r.escalation.created_at,
                               r.escalation.first_response_at, "是" if r.overdue else ""] for r in rows])
    context = {"rows": rows, "status": _status(status), "filters": q.FILTERS, "labels": q.STATUS_LABELS,
               "reasons": q.REASON_LABELS}
    if request.headers.get("HX-Request"):
        return render(request, "escalations/_rows.html", context)
    return render(request, "escalations/list.html", context)


@router.get("/escalations/badge", include_in_schema=False)
async def badge(session: SessionDep, staff: InboxStaff) -> HTMLResponse:
    waiting = await q.count_waiting(session, staff=staff)
    return HTMLResponse(str(waiting) if waiting else "")


async def _detail_page(request: Request, session: AsyncSession, escalation: Escalation, *, errors: dict | None = None,
                       values: dict | None = None, status_code: int = 200) -> Response:
    detail = await q.escalation_detail(session, escalation=escalation, settings=runtime_of(request).settings)
    faq = json.loads(escalation.faq_candidate) if escalation.faq_candidate.startswith("{") else None
    return render(request, "escalations/detail.html", {
        "d": detail, "e": escalation, "labels": q.STATUS_LABELS, "reasons": q.REASON_LABELS,
        "actions": allowed_actions(Actor.of_staff(request.state.staff), escalation),
        "in_window": service.within_wechat_window(escalation), "errors": errors or {}, "values": values or {},
        "faq": faq}, status_code=status_code)


@router.get("/escalations/{escalation_id}", include_in_schema=False)
async def detail(request: Request, session: SessionDep, escalation: EscalationDep) -> Response:
    return await _detail_page(request, session, escalation)


async def _act(session: AsyncSession, escalation: Escalation, action: str, actor: Actor,
               note: str = "") -> Escalation:
    try:
        if action == "claim":
            await service.claim(session, escalation=escalation, actor=actor)
        elif action == "release":
            await service.release(session, escalation=escalation, actor=actor)
        else:
            await service.resolve(session, escalation=escalation, actor=actor, note=note[:500])
    except service.EscalationTaken as exc:
        raise HTTPException(status_code=409, detail=TAKEN) from exc
    except TransitionNotAllowed as exc:
        raise HTTPException(status_code=409, detail=NOT_NOW) from exc
    return escalation


def _check_reply(body: str) -> dict[str, str]:
    body = body.strip()
    if not body:
        return {"body": "请写下回复内容"}
    if len(body) > MAX_REPLY:
        return {"body": f"回复太长了（{len(body)} 字），请控制在 {MAX_REPLY} 字以内"}
    return {}


async def _reply(session: AsyncSession, escalation: Escalation, actor: Actor, body: str,
                 as_template: bool) -> EscalationReply:
    # Past WeChat's 48-hour window a customer-service message cannot reach the owner: only a template message can.
    as_template = as_template or not service.within_wechat_window(escalation)
    try:
        return await service.reply(session, escalation=escalation, actor=actor, body=body.strip(),
                                   as_template=as_template)
    except service.EscalationTaken as exc:
        raise HTTPException(status_code=409, detail=TAKEN) from exc
    except TransitionNotAllowed as exc:
        raise HTTPException(status_code=409, detail=NOT_NOW) from exc


@router.post("/escalations/{escalation_id}/reply", include_in_schema=False)
async def reply_form(request: Request, escalation_id: int, session: SessionDep, actor: CurrentActor,
                     escalation: EscalationDep, body: str = Form(""), as_template: bool = Form(False)) -> Response:
    errors = _check_reply(body)
    if errors:
        return await _detail_page(request, session, escalation, errors=errors, values={"body": body},
                                  status_code=400)
    row = await _reply(session, escalation, actor, body, as_template)
    flash(request, "回复已发出，会通过公众号送到业主微信。" if row.channel == "custom"
          else "已超过微信 48 小时客服消息期限，回复以模板消息发送。", "ok" if row.channel == "custom" else "warn")
    return redirect(f"/admin/escalations/{escalation_id}")


async def promote_to_faq(session: AsyncSession, *, escalation: Escalation, actor: Actor, question: str,
                         answer: str) -> FaqEntry:
    """转为常见问题: a FAQ entry of the escalation's community, and the pair kept on the escalation."""
    require(actor, "faq", escalation)
    candidate = {"question": question.strip()[:300], "answer": answer.strip()[:2000], "staff_id": actor.staff_id}
    entry = await create_entry_from_staff_answer(session, community_id=escalation.community_id,
                                                 question=candidate["question"], answer=candidate["answer"],
                                                 staff_id=actor.staff_id)
    escalation.faq_candidate = json.dumps({**candidate, "faq_entry_id": entry.id}, ensure_ascii=False)
    record_event(session, entity_type="escalation", entity_id=escalation.id, action="faq_entry",
                 actor=actor, community_id=escalation.community_id,
                 data={**candidate, "faq_entry_id": entry.id})
    return entry


@router.post("/escalations/{escalation_id}/faq", include_in_schema=False)
async def faq(request: Request, session: SessionDep, actor: CurrentActor, escalation: EscalationDep,
              faq_question: str = Form(""), faq_answer: str = Form("")) -> Response:
    question, answer, escalation_id = faq_question, faq_answer, escalation.id
    errors = {k: "必填" for k, v in (("faq_question", question), ("faq_answer", answer)) if not v.strip()}
    if errors:
        return await _detail_page(request, session, escalation, errors=errors, status_code=400,
                                  values={"faq_question": question, "faq_answer": answer})
    entry = await promote_to_faq(session, escalation=escalation, actor=actor, question=question, answer=answer)
    await session.commit()  # the entry must exist when it is indexed
    try:  # the bot knows the answer at once; if indexing fails the entry is saved and `linli kb reindex` adds it
        await update_index(getattr(request.app.state, "knowledge", None), upsert=[entry])
    except Exception:  # noqa: BLE001 - the entry is committed; only the search index lags
        log.exception("FAQ entry %s saved but not indexed", entry.id)
        flash(request, "已加入常见问题，但搜索索引暂未更新，请稍后运行 linli kb reindex。", "warn")
        return redirect(f"/admin/escalations/{escalation_id}")
    flash(request, "已加入常见问题，机器人下次就能自己回答了。")
    return redirect(f"/admin/escalations/{escalation_id}")


@router.post("/escalations/{escalation_id}/{action}", include_in_schema=False)
async def act(request: Request, escalation_id: int, action: str, session: SessionDep, actor: CurrentActor,
              escalation: EscalationDep, note: str = Form("")) -> Response:
    if action not in ACTION_DONE:
        raise HTTPException(status_code=404)
    await _act(session, escalation, action, actor, note)
    flash(request, ACTION_DONE[action])
    return redirect(f"/admin/escalations/{escalation_id}")


# --- JSON API ---------------------------------------------------------------------------------------------------


class ReplyIn(BaseModel):
    body: str = Field(min_length=1, max_length=MAX_REPLY)
    as_template: bool = False


def _as_json(escalation: Escalation) -> dict:
    return {"id": escalation.id, "number": escalation.number, "community_id": escalation.community_id,
            "status": escalation.status.value, "reason": escalation.reason.value, "question": escalation.question,
            "claimed_by": escalation.claimed_by, "created_at": escalation.created_at.isoformat(),
            "first_response_at": escalation.first_response_at.isoformat() if escalation.first_response_at else None,
            "flagged_overdue": escalation.flagged_overdue}


@router.get("/api/escalations", tags=["escalations"])
async def api_list(request: Request, session: SessionDep, staff: InboxStaff, status: str = "active") -> dict:
    """Escalations in your communities: status = active | open | claimed | overdue | resolved."""
    rows = await q.list_escalations(session, staff=staff, settings=runtime_of(request).settings,
                                    status=_status(status))
    return {"items": [{**_as_json(r.escalation), "overdue": r.overdue, "households": r.households} for r in rows]}


@router.get("/api/escalations/{escalation_id}", tags=["escalations"])
async def api_detail(request: Request, escalation_id: int, session: SessionDep, actor: CurrentActor,
                     escalation: EscalationDep) -> dict:
    d = await q.escalation_detail(session, escalation=escalation, settings=runtime_of(request).settings)
    return {**_as_json(escalation), "households": d.households, "in_wechat_window":
            service.within_wechat_window(escalation),
            "actions": sorted(allowed_actions(actor, escalation)),
            "transcript": [{"direction": t["direction"], "content": t["content"],
                            "at": t["at"].isoformat() if t["at"] else None} for t in d.transcript],
            "replies": [{"id": r.reply.id, "body": r.reply.body, "channel": r.reply.channel, "staff": r.staff_name,
                         "delivery": r.delivery} for r in d.replies]}


@router.post("/api/escalations/{escalation_id}/reply", tags=["escalations"])
async def api_reply(escalation_id: int, payload: ReplyIn, session: SessionDep, actor: CurrentActor,
                    escalation: EscalationDep) -> dict:
    """Answer the owner (customer-service message; a template message past WeChat's 48-hour window)."""
    if _check_reply(payload.body):
        raise HTTPException(status_code=422, detail=_check_reply(payload.body)["body"])
    row = await _reply(session, escalation, actor, payload.body, payload.as_template)
    return {"reply_id": row.id, "channel": row.channel, **_as_json(escalation)}


@router.post("/api/escalations/{escalation_id}/{action}", tags=["escalations"])
async def api_act(escalation_id: int, action: str, session: SessionDep, actor: CurrentActor,
                  escalation: EscalationDep) -> dict:
    """action = claim | release | resolve; 409 when someone else changed the escalation first."""
    if action not in ACTION_DONE:
        raise HTTPException(status_code=404)
    return _as_json(await _act(session, escalation, action, actor))


section = Section(name="escalations", router=router, nav=[
    NavLink("转人工", "/admin/escalations", section="escalations", order=10, badge_url="/admin/escalations/badge")])
