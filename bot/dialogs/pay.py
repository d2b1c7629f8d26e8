"""缴费: each bound household's unpaid bills (period, item, amount, late fee) and a total; pay all or some; the
owner gets a link to Linli's payment page, signed for this openid and those bills, expiring in 30 minutes.
收据: a receipt by its number (or the latest), for the owner who paid it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.context import DialogContext
from bot.dialogs import pay_texts as t
from bot.dialogs.spec import Abort, Dialog, Invalid, Slot, examples_of
from workflows.billing.pricing import yuan
from workflows.payments import messages as payment_messages
from workflows.payments.links import make_pay_token
from workflows.payments.orders import BillView, owner_unpaid_bills
from workflows.payments.receipts import owner_receipt_text


async def _bills(ctx: DialogContext) -> list[BillView]:
    async with ctx.runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=ctx.openid)
    if not bills:
        raise Abort(t.NO_BILLS)
    return bills


def bill_lines(bills: list[BillView]) -> list[str]:
    return [t.BILL_LINE.format(index=index, household=bill.household, period=bill.period, item=bill.item,
                               amount=yuan(bill.total_fen),
                               late=t.BILL_LATE.format(late=yuan(bill.late_fee_fen)) if bill.late_fee_fen else "")
            for index, bill in enumerate(bills, start=1)]


async def bills_prompt(ctx: DialogContext) -> str:
    bills = await _bills(ctx)
    return "\n".join([t.BILLS_HEADER.format(count=len(bills)), *bill_lines(bills),
                      t.BILLS_TOTAL.format(total=yuan(sum(bill.total_fen for bill in bills))), t.BILLS_ASK])


async def parse_selection(text: str, ctx: DialogContext) -> list[int]:
    """0 / 全部 → every bill; "1 3", "1,3", "1、3" → those; anything else is explained."""
    bills = await _bills(ctx)
    word = unicodedata.normalize("NFKC", text).strip()
    if word in ("0", "全部", "全部缴清", "都交", "全部缴纳"):
        return [bill.id for bill in bills]
    numbers = re.split(r"[\s,，、和]+", word)
    if not word or not all(number.isdigit() for number in numbers):
        raise Invalid(t.BILLS_INVALID)
    picked = sorted({int(number) for number in numbers})
    if not all(1 <= number <= len(bills) for number in picked):
        raise Invalid(t.BILLS_INVALID)
    return [bills[number - 1].id for number in picked]


async def send_link(ctx: DialogContext) -> str:
    """The signed payment link for the chosen bills at today's amounts."""
    async with ctx.runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=ctx.openid, bill_ids=list(ctx.values["bills"]))
    if not bills:
        return t.NO_BILLS
    if len({bill.community_id for bill in bills}) > 1:
        return t.BILLS_MIXED
    settings = ctx.runtime.settings
    total = sum(bill.total_fen for bill in bills)
    token = make_pay_token(settings.secret_key, openid=ctx.openid, bill_ids=[bill.id for bill in bills],
                           total_fen=total)
    reply = t.LINK.format(count=len(bills), total=yuan(total), url=f"{settings.base_url}/pay/{token}")
    return reply + (t.LINK_SANDBOX_NOTE if settings.payments_provider != "wechatpay" else "")


PAY = Dialog(
    name="pay", title="缴费", menu_key="PAY", triggers=t.PAY_TRIGGERS, requires_binding=True,
    description="缴费：查看待缴的物业费、停车费、水费等账单并在线支付",
    examples=examples_of("pay"), explicit_only=True,  # its language (#16): a question about fees is for the FAQ
    keywords=r"[交缴付续].{0,12}(费|月卡|停车卡)|缴费|缴纳|费.{0,3}[交缴付](一下|了吧|掉|了$|了[,，。!！ ])"
             r"|交钱|续交|续费",
    slots=(Slot("bills", bills_prompt, parse=parse_selection, label="账单", example=t.BILLS_EXAMPLE),),
    submit=send_link,
)


async def parse_receipt(text: str, ctx: DialogContext) -> str:
    word = unicodedata.normalize("NFKC", text).strip().upper()
    if word in t.LATEST_WORDS:
        return "latest"
    if not re.fullmatch(r"[A-Z0-9]+-SJ-\d{8}-\d{4}", word):
        raise Invalid(t.RECEIPT_ASK)
    return word


async def extract_receipt(text: str, ctx: DialogContext) -> dict[str, Any]:
    rest = unicodedata.normalize("NFKC", text).strip()
    for trigger in sorted(t.RECEIPT_TRIGGERS, key=len, reverse=True):
        if rest.startswith(trigger):
            rest = rest[len(trigger):].strip()
            break
    try:
        return {"number": await parse_receipt(rest, ctx)} if rest else {}
    except Invalid:
        return {}


async def show_receipt(ctx: DialogContext) -> str:
    """The owner's own receipt only: another owner's number finds nothing."""
    number = ctx.values["number"]
    async with ctx.runtime.sessions() as session:
        message = await owner_receipt_text(session, openid=ctx.openid, number=None if number == "latest" else number)
    if message is None:
        return t.RECEIPT_NONE if number == "latest" else payment_messages.RECEIPT_NOT_FOUND
    return message


RECEIPT = Dialog(
    name="receipt", title="收据", triggers=t.RECEIPT_TRIGGERS, in_help=True,
    description="收据：查看缴费收据",
    slots=(Slot("number", t.RECEIPT_ASK, parse=parse_receipt, label="收据号", example=t.RECEIPT_EXAMPLE),),
    submit=show_receipt, extract=extract_receipt,
)

PAY_DIALOGS = (PAY, RECEIPT)
