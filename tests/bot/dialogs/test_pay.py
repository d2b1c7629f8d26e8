"""缴费 and 收据 in chat: the bound household's unpaid bills with late fees and a total, all or some, a signed link
for this openid and those bills; nonsense is explained with an example; the receipt after paying."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.bot.owners import Owner
from tests.workflows.payments.factories import sandbox
from workflows.payments.flows import start_payment
from workflows.payments.links import read_pay_token
from workflows.payments.models import Receipt
from workflows.payments.notifications import handle_payment_notification
from workflows.payments.orders import owner_unpaid_bills

LINK = re.compile(r"/pay/(\S+)")


async def test_an_unbound_owner_is_asked_to_bind_first(owner: Owner) -> None:
    assert "绑定房屋" in await owner.say("缴费")


async def test_pay_lists_the_bills_and_sends_a_link_for_all_of_them(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    listing = await owner.say("缴费")
    assert "待缴账单" in listing and "1栋1单元101 2026-11 物业费" in listing and "滞纳金" in listing
    assert "合计" in listing and "回复 0" in listing
    reply = await owner.say("0")
    token = LINK.search(reply).group(1)
    link = read_pay_token(runtime.settings.secret_key, token, viewer_openid=owner.openid)
    async with runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=owner.openid)
    assert sorted(link.bill_ids) == sorted(b.id for b in bills)
    assert link.total_fen == sum(b.total_fen for b in bills)
    assert "沙箱" in reply and "30 分钟" in reply


async def test_pay_some_bills_by_their_numbers_and_nonsense_gets_an_example(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await owner.say("缴费")
    confused = await owner.say("随便")
    assert "序号" in confused and "1 3" in confused
    assert "序号" in await owner.say("99")
    reply = await owner.say("1、3")
    link = read_pay_token(runtime.settings.secret_key, LINK.search(reply).group(1))
    async with runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=owner.openid)
    assert list(link.bill_ids) == sorted([bills[0].id, bills[2].id])
    assert "2 笔" in reply


async def test_after_paying_there_is_nothing_to_pay_and_the_receipt_shows(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await owner.say("缴费")
    link = read_pay_token(runtime.settings.secret_key, LINK.search(await owner.say("0")).group(1))
    provider = sandbox(runtime)
    started = await start_payment(runtime.sessions, provider, link=link, notify_url="http://x/pay/notify/sandbox",
                                  description="缴费")
    await handle_payment_notification(runtime.sessions, provider, *provider.pay(started.out_trade_no))
    assert "没有待缴账单" in await owner.say("缴费")
    async with runtime.sessions() as session:
        number = await session.scalar(select(Receipt.number).where(Receipt.openid == owner.openid))
    shown = await owner.say(f"收据 {number}")
    assert number in shown and "物业费" in shown and "沙箱支付" in shown
    assert number in await owner.say("收据 最近")


async def test_another_owners_receipt_number_finds_nothing(bot, runtime) -> None:
    payer, other = Owner(bot, openid="o-payer"), Owner(bot, openid="o-other")
    await payer.bind_demo_flat()
    await payer.say("缴费")
    link = read_pay_token(runtime.settings.secret_key, LINK.search(await payer.say("0")).group(1))
    provider = sandbox(runtime)
    started = await start_payment(runtime.sessions, provider, link=link, notify_url="http://x", description="缴费")
    await handle_payment_notification(runtime.sessions, provider, *provider.pay(started.out_trade_no))
    async with runtime.sessions() as session:
        number = await session.scalar(select(Receipt.number))
    assert "没有找到" in await other.say(f"收据 {number}")
