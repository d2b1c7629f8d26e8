"""An owner bound to 张伟's household (1栋1单元101 of 阳光花园) with the demo's unpaid bills, and a sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tests.workflows.billing.factories import billing_demo
from workflows.bindings.service import verify_and_bind
from workflows.db import transaction
from workflows.payments.links import PayLink
from workflows.payments.orders import owner_unpaid_bills
from workflows.payments.providers.sandbox import SandboxProvider
from workflows.staff.models import StaffUser

OPENID = "o-pay-zhangwei"
NOTIFY_URL = "http://127.0.0.1:8000/pay/notify/sandbox"


@dataclass
class Payer:
    openid: str
    household_id: int
    community_id: int
    bill_ids: list[int]
    total_fen: int
    staff: dict[str, StaffUser]

    def link(self, bill_ids: list[int] | None = None, total_fen: int | None = None) -> PayLink:
        return PayLink(openid=self.openid, bill_ids=tuple(bill_ids or self.bill_ids),
                       total_fen=self.total_fen if total_fen is None else total_fen)


async def bound_payer(runtime, openid: str = OPENID) -> Payer:
    demo = await billing_demo(runtime)
    async with transaction(runtime.sessions) as session:
        binding, _ = await verify_and_bind(session, openid=openid, household_id=demo.household_id, name="张伟",
                                           phone_last4="1234")
        assert binding is not None
    async with runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=openid)
        staff = {s.username: s for s in await session.scalars(select(StaffUser))}
    return Payer(openid, demo.household_id, demo.community_id, [b.id for b in bills],
                 sum(b.total_fen for b in bills), staff)


def sandbox(runtime) -> SandboxProvider:
    return SandboxProvider.from_settings(runtime.settings)
