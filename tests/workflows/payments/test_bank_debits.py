"""银行代扣 result files: successful rows settle through the one settling service once per bank serial, failed
debits are listed, and a file with any bad row applies nothing and says why for every row."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.workflows.payments.factories import bound_payer
from workflows.billing.models import Bill, BillStatus
from workflows.billing.pricing import yuan
from workflows.db import transaction
from workflows.payments.bank_debits import BankDebitInvalid, import_bank_debits, read_bank_debits
from workflows.payments.models import LedgerEntry, PaymentMethod, PaymentOrder
from workflows.payments.orders import unpaid_bills
from workflows.repairs.service import staff_actor


async def _households_owing(runtime, community_id: int, count: int):
    """`count` households of the community with unpaid bills: (label, unpaid bill views)."""
    async with runtime.sessions() as session:
        ids = list(await session.scalars(select(Bill.household_id).where(
            Bill.community_id == community_id, Bill.status == BillStatus.UNPAID)
            .group_by(Bill.household_id).order_by(Bill.household_id).limit(count)))
        owing = [await unpaid_bills(session, household_ids=[household_id]) for household_id in ids]
    assert len(owing) == count
    return [(bills[0].household, bills) for bills in owing]


def _csv(*lines: str) -> bytes:
    return ("\n".join(("户号,账单号,金额,状态,银行流水号,扣款日期,失败原因", *lines)) + "\n").encode("gbk")


async def _paid_count(runtime) -> tuple[int, int]:
    async with runtime.sessions() as session:
        return (await session.scalar(select(func.count(Bill.id)).where(Bill.status == BillStatus.PAID)),
                await session.scalar(select(func.count(LedgerEntry.id))))


async def test_successful_rows_settle_once_per_serial_and_failures_are_listed(any_runtime):
    payer = await bound_payer(any_runtime)
    finance = staff_actor(payer.staff["caiwu"])
    (first, first_bills), (second, second_bills), (third, _) = await _households_owing(
        any_runtime, payer.community_id, 3)
    whole = sum(bill.total_fen for bill in first_bills)
    one = second_bills[0]
    data = _csv(f"{first},,{yuan(whole)},成功,B202612070001,,",
                f",{one.id},{yuan(one.total_fen)},SUCCESS,B202612070002,,",
                f"{third},,88.00,失败,B202612070003,,余额不足")
    rows, errors = read_bank_debits("代扣结果.csv", data)
    assert errors == [] and len(rows) == 3
    async with transaction(any_runtime.sessions) as session:
        result = await import_bank_debits(session, community_id=payer.community_id, rows=rows, actor=finance)
    assert [(r["line"], r["household"], r["amount_fen"]) for r in result.settled] == [
        (2, first, whole), (3, second, one.total_fen)]
    assert all(r["receipt"] for r in result.settled)
    assert [(f.line, f.reason) for f in result.failures] == [(4, "余额不足")]
    async with any_runtime.sessions() as session:
        assert await unpaid_bills(session, household_ids=[first_bills[0].household_id]) == []
        orders = list(await session.scalars(select(PaymentOrder).where(
            PaymentOrder.method == PaymentMethod.BANK_DEBIT, PaymentOrder.transaction_id.like("bank:%"))))
    assert sorted(o.transaction_id for o in orders) == ["bank:B202612070001", "bank:B202612070002"]
    paid_before = await _paid_count(any_runtime)

    async with transaction(any_runtime.sessions) as session:  # the same file again: nothing settles twice
        again = await import_bank_debits(session, community_id=payer.community_id, rows=rows, actor=finance)
    assert again.settled == [] and [d.serial for d in again.duplicates] == ["B202612070001", "B202612070002"]
    assert await _paid_count(any_runtime) == paid_before


async def test_a_file_with_bad_rows_applies_nothing_and_gives_each_reason(any_runtime):
    payer = await bound_payer(any_runtime)
    finance = staff_actor(payer.staff["caiwu"])
    (first, first_bills), (second, second_bills) = await _households_owing(any_runtime, payer.community_id, 2)
    whole = sum(bill.total_fen for bill in first_bills)
    rows, errors = read_bank_debits("r.csv", _csv(
        f"{first},,{yuan(whole)},成功,B1,,",
        f"{second},,1.00,成功,B2,,",  # not what the household owes
        "9栋9单元909,,10.00,成功,B3,,",  # no such household
        f"{second},,12.345,成功,B4,,",  # three decimals
        f"{second},,10.00,也许,B5,,",  # status unreadable
        f"{second},,10.00,成功,B1,,",  # serial repeated
        f"{second},abc,10.00,成功,B6,,"))  # bills unreadable
    assert [(e.line, e.field) for e in errors] == [(5, "amount"), (6, "status"), (7, "serial"), (8, "bills")]
    before = await _paid_count(any_runtime)
    with pytest.raises(BankDebitInvalid) as refused:
        async with transaction(any_runtime.sessions) as session:
            await import_bank_debits(session, community_id=payer.community_id, rows=rows, actor=finance)
    reasons = {e.line: e.message for e in refused.value.errors}
    assert set(reasons) == {3, 4}
    assert "与应缴" in reasons[3] and "没有这个房屋" in reasons[4]
    assert await _paid_count(any_runtime) == before  # the good first row was not applied either


def test_an_xlsx_with_english_headers_reads_the_same():
    book = Workbook()
    sheet = book.active
    sheet.append(["household", "bills", "amount", "status", "serial", "date", "reason"])
    sheet.append(["1栋1单元101", None, 368.5, "SUCCESS", "B9", "2026-12-07", None])
    buffer = io.BytesIO()
    book.save(buffer)
    rows, errors = read_bank_debits("result.xlsx", buffer.getvalue())
    assert errors == []
    assert [(r.household, r.amount_fen, r.succeeded, r.serial, str(r.debited_on)) for r in rows] == [
        ("1栋1单元101", 36850, True, "B9", "2026-12-07")]
