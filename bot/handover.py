"""Hand-over to a person (转人工), as the Bot does it: asked (never opened without consent), never offered while one is
open (the new question joins it), and the owner is told who answers and by when (working hours, LINLI_WORKING_HOURS)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot import texts
from bot.context import DialogContext
from bot.dialogs.spec import FollowUp
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.escalations.models import EscalationReason
from workflows.escalations.service import hand_over, open_escalation_of

log = logging.getLogger("linli.bot")


class Handover:
    """Mixed into bot.router.Bot (runtime, transcript)."""

    runtime: Any
    transcript: Any

    async def open_escalation(self, ctx: DialogContext, reason: EscalationReason, question: str) -> str:
        """Flush the transcript so staff see the whole conversation, then open (or join) the owner's escalation;
        its number."""
        try:
            await self.transcript.flush()
        except Exception:  # noqa: BLE001 - the escalation matters more than its transcript
            log.exception("flushing the transcript before an escalation failed")
        async with transaction(self.runtime.sessions) as session:
            return await hand_over(session, community_id=ctx.owner.default_community_id, openid=ctx.openid,
                                   reason=reason, question=question[:4000])

    async def open_number(self, ctx: DialogContext) -> str | None:
        try:
            async with self.runtime.sessions() as session:
                return await open_escalation_of(session, community_id=ctx.owner.default_community_id,
                                                openid=ctx.openid)
        except Exception:  # noqa: BLE001 - unsure: behave as if none is open
            log.exception("reading the open escalation failed")
            return None

    async def escalate(self, ctx: DialogContext, reason: EscalationReason, question: str) -> str:
        """Hand the owner to a person and say so: the sayable number, who answers and by when."""
        if not ctx.owner.default_community_id:  # a fresh deployment: no community, so no staff to hand over to
            return texts.NO_COMMUNITY_YET
        already = await self.open_number(ctx)
        try:
            number = await self.open_escalation(ctx, reason, question)
        except Exception:  # noqa: BLE001
            log.exception("opening an escalation failed")
            return texts.HANDOVER_FAILED.format(phone=await self._community_phone(ctx.owner.default_community_id))
        template = texts.HANDOVER_ALREADY if already else texts.HANDOVER_OPENED
        return template.format(number=number, when=self.answer_time())

    async def offer_person(self, ctx: DialogContext, reason: EscalationReason, question: str,
                           text: str) -> str | FollowUp:
        """`text`, then 要转人工吗 — unless a person is already on the way."""
        if not ctx.owner.default_community_id:
            return text
        number = await self.open_number(ctx)
        if number:
            await self._join(ctx, reason, question)
            return f"{text}\n{texts.PERSON_ON_THE_WAY.format(number=number, when=self.answer_time())}"
        return FollowUp(text, "handover_offer", {"reason": reason.value, "question": question})

    async def _join(self, ctx: DialogContext, reason: EscalationReason, question: str) -> None:
        """The open escalation gets the new question, so the person answering sees it."""
        try:
            await self.open_escalation(ctx, reason, question)
        except Exception:  # noqa: BLE001
            log.exception("adding to the open escalation failed")

    def declined_person(self, ctx: DialogContext) -> None:
        """A "no" is respected for this question; the next unanswered one is offered again (asked, never forced)."""

    async def urgent_no_answer(self, ctx: DialogContext, prompt: str) -> str:
        """A question the FAQ cannot answer in the middle of an emergency: the phone, now, not a note for later."""
        phone = await self._community_phone(ctx.owner.default_community_id)
        return texts.URGENT_NO_ANSWER_THEN_CONTINUE.format(phone=phone, prompt=prompt)

    async def emergency_note(self, ctx: DialogContext, *, danger: bool = False) -> str:
        """What an emergency gets before anything else: the community's phone, 119/120 (110 for danger from people)."""
        phone = await self._community_phone(ctx.owner.default_community_id)
        return (texts.DANGER if danger else texts.EMERGENCY).format(phone=phone)

    def answer_time(self, now: datetime | None = None) -> str:
        """"一般 15 分钟内" in working hours, else when the front desk opens."""
        settings = self.runtime.settings
        start, _, end = (settings.working_hours or "08:00-20:00").partition("-")
        local = (now or utcnow()).astimezone(settings.tz)
        if start <= local.strftime("%H:%M") < end:
            return texts.HANDOVER_WHEN_OPEN.format(minutes=settings.escalation_overdue_minutes)
        return texts.HANDOVER_WHEN_CLOSED.format(start=start)

    async def _community_phone(self, community_id: int) -> str:
        community = await self._community(community_id)  # type: ignore[attr-defined]
        return community.phone if community and community.phone else texts.NO_PHONE
