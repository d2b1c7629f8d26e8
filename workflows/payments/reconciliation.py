"""Daily reconciliation (对账): a day's trade bill (交易账单) from the provider against the orders paid here.

The bill is WeChat Pay's CSV — downloaded through the v3 `tradebill` API (`provider.trade_bill`) or uploaded by
staff (the sandbox has no bill to download, and a deployment may prefer the file from the merchant platform): a
header row, one row per trade with a backtick (`) before every field so spreadsheets keep long numbers as text,
amounts in yuan, and two summary lines at the end (总交易单数,应结订单总金额,… and their values).

Compared both ways, each difference one item in the finance inbox (payment_issues, recon_*, once per day and order):
paid there and not here (no order, or an order not credited), here and not there (an order this provider paid that
day that the bill does not list), and amounts that differ. Money is parsed from yuan to integer fen with Decimal.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.billing.pricing import parse_yuan, yuan
from workflows.clock import SHANGHAI, local, utcnow
from workflows.community.models import Community
from workflows.db import transaction
from workflows.payments import messages as text
from workflows.payments.models import (
    ORDER_STATUS_LABELS,
    OrderStatus,
    PaymentMethod,
    PaymentOrder,
    Reconciliation,
)
from workflows.payments.providers.interface import PaymentProvider, ProviderError
from workflows.payments.settle import flag_issue

log = logging.getLogger("linli.payments")

PROVIDER_METHODS = {"wechatpay": PaymentMethod.WECHAT, "sandbox": PaymentMethod.SANDBOX}
SUMMARY_HEADER = "总交易单数"
MAX_BILL_BYTES = 20 * 1024 * 1024
BILL_READY_AT = time(10, 0)  # WeChat Pay publishes day D's bill from 10:00 on D+1 (Asia/Shanghai)


class TradeBillInvalid(ValueError):
    """The file is not a trade bill this module can read (the message says why, for staff)."""


@dataclass(frozen=True)
class BillTrade:
    """One row of the trade bill."""

    line: int
    out_trade_no: str  # 商户订单号
    transaction_id: str  # 微信订单号
    state: str  # 交易状态: SUCCESS | REFUND | REVOKED …
    amount_fen: int  # 订单金额 (总金额), or 应结订单金额 when the bill has no 订单金额 column
    refund_fen: int
    mchid: str
    traded_at: str  # 交易时间 as written


@dataclass
class TradeBill:
    trades: list[BillTrade] = field(default_factory=list)
    summary: dict[str, str] = field(default_factory=dict)  # 总交易单数 → "2", 应结订单总金额 → "368.50", …

    @property
    def payments(self) -> list[BillTrade]:
        return [trade for trade in self.trades if trade.state == "SUCCESS"]


def fen_of(value: str, *, what: str = "金额") -> int:
    """"368.50" (yuan, as the bill writes it) → 36850; exact (Decimal), more than two decimals refused."""
    try:
        return parse_yuan(value or "0")
    except ValueError as exc:
        reason = "不是以元为单位、最多两位小数的金额" if "decimals" in str(exc) else "不是数字"
        raise TradeBillInvalid(f"{what}“{value}”{reason}") from None


def _cells(row: list[str]) -> list[str]:
    return [cell.strip().removeprefix("`").strip() for cell in row]


def parse_trade_bill(content: str) -> TradeBill:
    """WeChat Pay's trade bill CSV → rows and summary. An empty text is a day without trades (NO_STATEMENT_EXIST).
    Refused (TradeBillInvalid): a missing column, an unreadable amount, or a summary count that does not match the
    rows (a truncated download)."""
    bill = TradeBill()
    rows = [row for row in csv.reader(io.StringIO(content.lstrip("\ufeff"))) if any(cell.strip() for cell in row)]
    if not rows:
        return bill
    header = _cells(rows[0])
    need = ("交易时间", "商户号", "微信订单号", "商户订单号", "交易状态", "应结订单金额")
    missing = [name for name in need if name not in header]
    if missing:
        raise TradeBillInvalid(f"不是微信支付交易账单：表头缺少 {'、'.join(missing)}")
    column = {name: index for index, name in enumerate(header)}
    amount_column = "订单金额" if "订单金额" in column else "应结订单金额"
    body = rows[1:]
    summary_at = next((i for i, row in enumerate(body) if _cells(row)[:1] == [SUMMARY_HEADER]), None)
    if summary_at is not None:
        names, values = _cells(body[summary_at]), _cells(body[summary_at + 1]) if summary_at + 1 < len(body) else []
        bill.summary = dict(zip(names, values, strict=False))
        body = body[:summary_at]
    for line, raw in enumerate(body, start=2):
        cells = _cells(raw)
        if len(cells) < len(header):
            raise TradeBillInvalid(f"第 {line} 行只有 {len(cells)} 列，表头有 {len(header)} 列")
        refund = cells[column["退款金额"]] if "退款金额" in column else "0"
        bill.trades.append(BillTrade(
            line=line, out_trade_no=cells[column["商户订单号"]], transaction_id=cells[column["微信订单号"]],
            state=cells[column["交易状态"]].upper(), amount_fen=fen_of(cells[column[amount_column]]),
            refund_fen=fen_of(refund, what="退款金额"), mchid=cells[column["商户号"]],
            traded_at=cells[column["交易时间"]]))
    if bill.summary:
        count = bill.summary.get(SUMMARY_HEADER, "")
        if not count.isdigit() or int(count) != len(bill.trades):
            raise TradeBillInvalid(f"汇总行说有 {count} 笔交易，文件里有 {len(bill.trades)} 笔：文件可能不完整")
    return bill


def decode_bill(data: bytes) -> str:
    """An uploaded bill's bytes as text: UTF-8 (WeChat's download), or GB18030 (re-saved by Excel in China)."""
    if len(data) > MAX_BILL_BYTES:
        raise TradeBillInvalid("文件太大（最大 20 MB）")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TradeBillInvalid("文件不是文本（CSV）")


def day_window(day: date) -> tuple[datetime, datetime]:
    """The UTC instants between which `day` runs in Asia/Shanghai."""
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class Difference:
    kind: str  # recon_missing_here | recon_missing_there | recon_amount
    out_trade_no: str
    there_fen: int | None
    here_fen: int | None
    detail: str


async def _community_of(session: AsyncSession, out_trade_no: str) -> int | None:
    """An unknown order's community from its number's prefix (YGHY-JF-20261207-0003 → YGHY)."""
    code = out_trade_no.split("-", 1)[0]
    return await session.scalar(select(Community.id).where(Community.code == code)) if code else None


async def reconcile(session: AsyncSession, *, provider: str, day: date, bill: TradeBill, source: str,
                    filename: str = "", run_by: str = "system") -> tuple[Reconciliation, list[Difference]]:
    """Compare the day's bill with the orders paid here through `provider`, in the caller's transaction: each
    difference flagged once for finance, the day's Reconciliation row written (replaced when the day is done again)."""
    method = PROVIDER_METHODS[provider]
    there = {trade.out_trade_no: trade for trade in bill.payments}
    listed = {trade.out_trade_no for trade in bill.trades}
    known = {order.out_trade_no: order for order in await session.scalars(
        select(PaymentOrder).where(PaymentOrder.out_trade_no.in_(list(there))))} if there else {}
    start, end = day_window(day)
    here = list(await session.scalars(select(PaymentOrder).where(
        PaymentOrder.method == method, PaymentOrder.status == OrderStatus.PAID,
        PaymentOrder.paid_at >= start, PaymentOrder.paid_at < end).order_by(PaymentOrder.id)))
    differences: list[Difference] = []
    matched = 0
    for out_trade_no, trade in there.items():
        order = known.get(out_trade_no)
        if order is None or order.status != OrderStatus.PAID:
            state = (text.RECON_STATE_UNKNOWN if order is None else text.RECON_STATE_UNPAID.format(
                number=order.number, status=ORDER_STATUS_LABELS[order.status]))
            differences.append(Difference("recon_missing_here", out_trade_no, trade.amount_fen, None,
                                          text.ISSUE_RECON_MISSING_HERE.format(
                                              day=day, out_trade_no=out_trade_no, there=yuan(trade.amount_fen),
                                              state=state)))
            continue
        paid = order.paid_fen or order.amount_fen
        if paid != trade.amount_fen:
            differences.append(Difference("recon_amount", out_trade_no, trade.amount_fen, paid,
                                          text.ISSUE_RECON_AMOUNT.format(day=day, number=order.number,
                                                                         here=yuan(paid),
                                                                         there=yuan(trade.amount_fen))))
            continue
        matched += 1
    for order in here:
        if order.out_trade_no not in listed:
            paid = order.paid_fen or order.amount_fen
            differences.append(Difference("recon_missing_there", order.out_trade_no, None, paid,
                                          text.ISSUE_RECON_MISSING_THERE.format(day=day, number=order.number,
                                                                                here=yuan(paid))))
    orders = {order.out_trade_no: order for order in here} | known
    for difference in differences:
        order = orders.get(difference.out_trade_no)
        await flag_issue(
            session, kind=difference.kind, detail=difference.detail,
            dedup_key=f"recon:{provider}:{day.isoformat()}:{difference.out_trade_no}:{difference.kind}",
            community_id=order.community_id if order else await _community_of(session, difference.out_trade_no),
            order_id=order.id if order else None,
            data={"day": day.isoformat(), "out_trade_no": difference.out_trade_no, "there_fen": difference.there_fen,
                  "here_fen": difference.here_fen})
    counts = dict(source=source, filename=filename[:200], trades_there=len(there),
                  paid_there_fen=sum(trade.amount_fen for trade in there.values()),
                  refunds_there=sum(1 for trade in bill.trades if trade.state == "REFUND"), paid_here=len(here),
                  paid_here_fen=sum(order.paid_fen or order.amount_fen for order in here), matched=matched,
                  missing_here=sum(1 for d in differences if d.kind == "recon_missing_here"),
                  missing_there=sum(1 for d in differences if d.kind == "recon_missing_there"),
                  amount_differs=sum(1 for d in differences if d.kind == "recon_amount"), run_by=run_by)
    row = await session.scalar(select(Reconciliation).where(Reconciliation.provider == provider,
                                                            Reconciliation.bill_date == day))
    if row is None:
        row = Reconciliation(provider=provider, bill_date=day, **counts)
        session.add(row)
    else:
        for name, value in counts.items():
            setattr(row, name, value)
    await session.flush()
    return row, differences


def issue_key_prefix(provider: str, day: date) -> str:
    """The dedup-key prefix of one day's differences (the finance page lists them by it)."""
    return f"recon:{provider}:{day.isoformat()}:"


def due_day(now: datetime) -> date | None:
    """The day whose bill the daily job should reconcile at `now`: yesterday, once WeChat has published it."""
    moment = local(now)
    return moment.date() - timedelta(days=1) if moment.time() >= BILL_READY_AT else None


async def fetch_and_reconcile(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, *, day: date,
                              run_by: str = "system") -> Reconciliation | None:
    """Download `day`'s bill from the provider and reconcile it; None when the provider has no bill to download
    (the sandbox: staff import one). ProviderError / TradeBillInvalid propagate."""
    content = await provider.trade_bill(day)
    if content is None:
        return None
    bill = parse_trade_bill(content)
    async with transaction(sessions) as session:
        row, _ = await reconcile(session, provider=provider.name, day=day, bill=bill, source="api", run_by=run_by)
        return row


async def run_daily_reconciliation(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, *,
                                   now: datetime | None = None) -> Reconciliation | None:
    """The `reconciliation` loop's step: yesterday's bill, once it is published, once per day (a day that has its
    row is skipped; two workers racing end on the unique (provider, day) and the loser rolls back)."""
    day = due_day(now or utcnow())
    if day is None or provider.sandbox:
        return None
    async with sessions() as session:
        done = await session.scalar(select(Reconciliation.id).where(Reconciliation.provider == provider.name,
                                                                    Reconciliation.bill_date == day))
    if done is not None:
        return None
    try:
        return await fetch_and_reconcile(sessions, provider, day=day)
    except IntegrityError:  # another worker reconciled the day meanwhile
        return None
    except ProviderError as exc:  # not published yet, or WeChat Pay unreachable: the next pass tries again
        log.warning("trade bill of %s not fetched: %s", day, exc)
        return None
