"""银行代扣 result files: the bank debited households' accounts for what they owed and sends back one row per debit.
Each successful row settles its bills through the one settling service (as an offline 银行代扣 payment, the bank's
serial kept as the order's transaction id, so a row imported twice settles once); failed rows are listed.

The file (CSV, UTF-8 or GBK, or xlsx; the first row is the header; docs/billing.md has an example):

    户号        账单号      金额     状态   银行流水号            扣款日期    失败原因
    1栋1单元101             368.50   成功   B202612070001        2026-12-07
    2栋1单元202  1203;1204  120.00   成功   B202612070002        2026-12-07
    3栋2单元301             88.00    失败   B202612070003        2026-12-07  余额不足

户号 (building + room, as the pages show it) or 账单号 (bill ids, separated by ; , or spaces) names what was
debited: a 户号 alone pays all that household's unpaid bills, 账单号 exactly those. 金额 is yuan and must equal what
those bills cost on the debit date (late fees included). 状态: 成功/SUCCESS or 失败/FAIL. English headers work too
(household, bills, amount, status, serial, date, reason).

All or nothing: `import_bank_debits` checks every row and settles in the caller's transaction; any bad row raises
BankDebitInvalid with every row's reason, and the caller's rollback leaves nothing applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.billing.models import Bill
from workflows.billing.pricing import parse_yuan, yuan
from workflows.clock import SHANGHAI, local, utcnow
from workflows.community.models import Building, Household
from workflows.community.roster import (
    MAX_BYTES,
    RosterInvalid,
    RowError,
    cell_date,
    cell_text,
    header_columns,
    read_table,
)
from workflows.payments import messages as text
from workflows.payments.models import PaymentMethod, PaymentOrder
from workflows.payments.orders import PaymentRefused, record_offline_payment, unpaid_bills
from workflows.payments.settle import Settled

MAX_ROWS = 5000
HEADERS = {
    "household": ("户号", "房屋", "房号", "household"),
    "bills": ("账单号", "账单", "bills", "bill"),
    "amount": ("金额", "扣款金额", "amount"),
    "status": ("状态", "扣款状态", "结果", "status"),
    "serial": ("银行流水号", "流水号", "serial"),
    "date": ("扣款日期", "日期", "date"),
    "reason": ("失败原因", "原因", "reason"),
}
SUCCESS = {"成功", "扣款成功", "success", "s"}
FAILURE = {"失败", "扣款失败", "fail", "failed", "f"}
SERIAL_PREFIX = "bank:"  # an order's transaction_id for a bank debit: bank:<serial>


@dataclass(frozen=True)
class DebitRow:
    line: int
    household: str
    bill_ids: tuple[int, ...]
    amount_fen: int
    succeeded: bool
    serial: str
    debited_on: date | None
    reason: str


@dataclass
class DebitImport:
    """What an import did: settled rows (line, household, amount, receipt), rows already imported (same serial),
    failed debits as the bank reported them."""

    settled: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[DebitRow] = field(default_factory=list)
    failures: list[DebitRow] = field(default_factory=list)


class BankDebitInvalid(Exception):
    """Rows that cannot be applied, each with its reason; nothing of the file was applied."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def _bill_ids(value: str) -> tuple[int, ...] | None:
    parts = [part for part in re.split(r"[;；,，、\s]+", value) if part]
    return tuple(int(part) for part in parts) if all(part.isdigit() for part in parts) else None


def read_bank_debits(filename: str, data: bytes) -> tuple[list[DebitRow], list[RowError]]:
    """Parse a result file; the good rows and every error (row, column, reason). Nothing is looked up yet."""
    if len(data) > MAX_BYTES:
        return [], [RowError(0, "file", "文件太大（最大 5 MB）")]
    try:
        table = [row for row in read_table(filename, data) if any(cell_text(cell) for cell in row)]
    except RosterInvalid as exc:
        return [], exc.errors
    except Exception:  # noqa: BLE001 - a broken upload is reported plainly
        return [], [RowError(0, "file", "文件打不开，请确认是 Excel（.xlsx）或 CSV 文件")]
    if len(table) < 2:
        return [], [RowError(0, "file", text.DEBIT_EMPTY)]
    columns = header_columns(table[0], HEADERS)
    if not {"amount", "status", "serial"} <= set(columns) or not {"household", "bills"} & set(columns):
        return [], [RowError(1, "file", text.DEBIT_HEADER_HINT)]
    if len(table) - 1 > MAX_ROWS:
        return [], [RowError(0, "file", text.DEBIT_TOO_MANY.format(limit=MAX_ROWS))]
    rows, errors, serials = [], [], {}
    for line, cells in enumerate(table[1:], start=2):
        def cell(name: str, cells: list[Any] = cells) -> Any:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        values = {name: cell_text(cell(name)) for name in HEADERS}
        row_errors = []
        household = values["household"].replace(" ", "")
        bill_ids = _bill_ids(values["bills"])
        if bill_ids is None:
            row_errors.append(RowError(line, "bills", text.DEBIT_BAD_BILLS.format(value=values["bills"])))
        elif not household and not bill_ids:
            row_errors.append(RowError(line, "household", text.DEBIT_NO_REF))
        try:
            amount = parse_yuan(values["amount"])
            if amount <= 0:
                raise ValueError(values["amount"])
        except ValueError:
            row_errors.append(RowError(line, "amount", text.DEBIT_BAD_AMOUNT.format(value=values["amount"])))
            amount = 0
        status = values["status"].lower()
        if status not in SUCCESS | FAILURE:
            row_errors.append(RowError(line, "status", text.DEBIT_BAD_STATUS.format(value=values["status"])))
        serial = values["serial"]
        if not serial:
            row_errors.append(RowError(line, "serial", text.DEBIT_NO_SERIAL))
        elif len(serial) > 50:
            row_errors.append(RowError(line, "serial", text.DEBIT_SERIAL_TOO_LONG))
        elif serial in serials:
            row_errors.append(RowError(line, "serial", text.DEBIT_SERIAL_REPEATED.format(line=serials[serial])))
        serials.setdefault(serial, line)
        debited_on = None
        if cell("date") not in (None, ""):
            try:
                debited_on = cell_date(cell("date"))
            except ValueError:
                row_errors.append(RowError(line, "date", text.DEBIT_BAD_DATE.format(value=values["date"])))
        errors.extend(row_errors)
        if not row_errors:
            rows.append(DebitRow(line, household, bill_ids or (), amount, status in SUCCESS, serial, debited_on,
                                 values["reason"]))
    return rows, errors


async def _households(session: AsyncSession, community_id: int) -> dict[str, int]:
    rows = await session.execute(select(Household.id, Building.name, Household.room).join(Building)
                                 .where(Household.community_id == community_id))
    return {f"{building}{room}".replace(" ", ""): household_id for household_id, building, room in rows.all()}


async def import_bank_debits(session: AsyncSession, *, community_id: int, rows: list[DebitRow],
                             actor: Actor) -> DebitImport:
    """Settle the successful rows in the caller's transaction; any row that cannot be applied → BankDebitInvalid
    (with every such row), for the caller to roll back. A serial already imported is skipped (listed as such)."""
    if not rows:
        raise BankDebitInvalid([RowError(0, "file", text.DEBIT_EMPTY)])
    households = await _households(session, community_id)
    done = set(await session.scalars(select(PaymentOrder.transaction_id).where(
        PaymentOrder.transaction_id.in_([SERIAL_PREFIX + row.serial for row in rows]))))
    result, errors = DebitImport(), []
    for row in rows:
        if not row.succeeded:
            result.failures.append(row)
            continue
        if SERIAL_PREFIX + row.serial in done:
            result.duplicates.append(row)
            continue
        try:
            result.settled.append(await _settle_row(session, community_id, households, row, actor))
        except PaymentRefused as exc:
            errors.append(RowError(row.line, "amount" if "元" in str(exc) else "household", str(exc)))
    if errors:
        raise BankDebitInvalid(errors)
    return result


async def _settle_row(session: AsyncSession, community_id: int, households: dict[str, int], row: DebitRow,
                      actor: Actor) -> dict[str, Any]:
    household_id = households.get(row.household) if row.household else None
    if row.household and household_id is None:
        raise PaymentRefused(text.DEBIT_NO_HOUSEHOLD.format(value=row.household))
    if household_id is None:  # bills only: their household
        owners = set(await session.scalars(select(Bill.household_id).where(
            Bill.id.in_(row.bill_ids), Bill.community_id == community_id)))
        if len(owners) != 1:
            raise PaymentRefused(text.DEBIT_BILLS_MIXED if owners else text.DEBIT_BILLS_NOT_PAYABLE.format(
                ids="、".join(map(str, row.bill_ids))))
        household_id = owners.pop()
    paid_at = (datetime.combine(row.debited_on, time(12), tzinfo=SHANGHAI)
               if row.debited_on and row.debited_on != local(utcnow()).date() else utcnow())
    bills = await unpaid_bills(session, household_ids=[household_id], bill_ids=list(row.bill_ids) or None,
                               on=local(paid_at).date())
    if row.bill_ids and len(bills) != len(set(row.bill_ids)):
        missing = sorted(set(row.bill_ids) - {bill.id for bill in bills})
        raise PaymentRefused(text.DEBIT_BILLS_NOT_PAYABLE.format(ids="、".join(map(str, missing))))
    if not bills:
        raise PaymentRefused(text.DEBIT_NOTHING_OWED)
    owed = sum(bill.total_fen for bill in bills)
    if owed != row.amount_fen:
        raise PaymentRefused(text.DEBIT_AMOUNT_DIFFERS.format(paid=yuan(row.amount_fen), owed=yuan(owed)))
    settled = await record_offline_payment(session, household_ids=[household_id], bill_ids=[b.id for b in bills],
                                           method=PaymentMethod.BANK_DEBIT, actor=actor,
                                           note=f"银行代扣 {row.serial}", paid_at=paid_at,
                                           transaction_id=SERIAL_PREFIX + row.serial)
    if settled.outcome != Settled.SETTLED or settled.receipt is None:
        raise PaymentRefused(text.DEBIT_NOT_SETTLED.format(outcome=settled.outcome.value))
    return {"line": row.line, "household": bills[0].household, "amount_fen": row.amount_fen, "serial": row.serial,
            "bills": len(bills), "receipt": settled.receipt.number}
