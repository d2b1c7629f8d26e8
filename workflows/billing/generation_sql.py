"""The PostgreSQL set-based path of a bill run (workflows/billing/generation.py): the common lines written by
`INSERT … SELECT` in batches of households numbered by SQL (`_COMMON_BATCHES`, `_COMMON_INSERT`), planned lines
inserted by COPY into a temporary table (`_insert_batch`; a multi-row INSERT on SQLite), and the look-up of the
lines already there (`_existing`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Integer, any_, literal, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.generation_lines import Line, _item_constants
from workflows.billing.models import Bill, FeeKind
from workflows.clock import utcnow

if TYPE_CHECKING:
    from workflows.billing.generation import _Plan


async def _existing(session: AsyncSession, community_id: int, period: str,
                    plan: _Plan | None = None) -> set[tuple[int, str]]:
    """(fee item, subject) of the lines already there; with a plan, only those Python plans (not the common lines
    SQL writes: a rerun of 100,000 households need not read 300,000 keys)."""
    query = select(Bill.fee_item_id, Bill.subject).where(Bill.community_id == community_id, Bill.period == period)
    if plan is not None and plan.common:
        query = query.where(or_(Bill.fee_item_id.not_in([item.id for item, _ in plan.common]),
                                Bill.household_id == any_(literal(plan.moved, postgresql.ARRAY(Integer)))))
    rows = await session.execute(query)
    return {(fee_item_id, subject) for fee_item_id, subject in rows.all()}


COLUMNS = ("community_id", "building_id", "household_id", "space_id", "fee_item_id", "subject", "period",
           "service_start", "service_end", "quantity", "unit_price", "amount_fen", "late_fee_fen", "due_date",
           "status", "description", "run_id", "created_at")


async def _insert_batch(session: AsyncSession, lines: list[Line], run_id: int | None) -> None:
    """Insert lines, skipping any (fee item, subject, period) already there. PostgreSQL: COPY into a temporary
    table, then one INSERT … SELECT … ON CONFLICT DO NOTHING (the COPY protocol is what makes 300,000 lines take
    seconds); SQLite: a multi-row INSERT … ON CONFLICT DO NOTHING."""
    now = utcnow()
    records = [(*line, run_id, now) for line in lines]
    if session.bind.dialect.name != "postgresql":
        await session.execute(sqlite.insert(Bill.__table__).on_conflict_do_nothing(
            index_elements=["fee_item_id", "subject", "period"]), [dict(zip(COLUMNS, r, strict=True)) for r in records])
        return
    await session.execute(select(1))  # opens the transaction the raw connection then works in
    driver = (await (await session.connection()).get_raw_connection()).driver_connection
    columns = ", ".join(COLUMNS)
    await driver.execute(f"CREATE TEMP TABLE IF NOT EXISTS incoming_bills ON COMMIT DELETE ROWS AS "
                         f"SELECT {columns} FROM bills WITH NO DATA")
    await driver.copy_records_to_table("incoming_bills", columns=list(COLUMNS), records=records)
    await driver.execute(f"INSERT INTO bills ({columns}) SELECT {columns} FROM incoming_bills "
                         f"ON CONFLICT (fee_item_id, subject, period) DO NOTHING")
    await driver.execute("DELETE FROM incoming_bills")


# The common lines (see _Plan) in SQL: every household of the community not in :moved gets each common item whose
# quantity (`_QUANTITY`: the area for an area item, 1 otherwise) is positive. `_COMMON_BATCHES` numbers those
# households (with {missing}: only those still missing a line) into batches of :per_batch and gives each batch's
# first and last id and its lines; `_COMMON_INSERT` writes the lines of one batch's id range, the amount rule of
# pricing.line_amount for a full span: quantity × price × months exactly in numeric, rounded once to fen —
# PostgreSQL's round(numeric) rounds half away from zero, which is half up for these positive amounts.
# tests/workflows/billing/test_generation.py checks the rows against plan_lines.
_QUANTITY = "CASE WHEN i.by_area THEN h.area_m2 ELSE 1 END"
_COMMON_HOUSEHOLDS = """h.community_id = :community_id AND h.id NOT IN (SELECT unnest(CAST(:moved AS integer[])))"""
_MISSING = """
    AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.fee_item_id = i.item_id AND b.subject = 'h' || h.id
                                            AND b.period = :period)"""
_COMMON_BATCHES = f"""
SELECT min(id), max(id), CAST(sum(lines) AS integer) FROM (
    SELECT h.id, l.lines, (row_number() OVER (ORDER BY h.id) - 1) / :per_batch AS batch
    FROM households h
    CROSS JOIN LATERAL (
        SELECT count(*) AS lines FROM unnest(CAST(:item_ids AS integer[]), CAST(:by_area AS boolean[]))
             AS i(item_id, by_area)
        WHERE {_QUANTITY} > 0{{missing}}) l
    WHERE {_COMMON_HOUSEHOLDS} AND l.lines > 0) numbered
GROUP BY batch ORDER BY batch"""
_COMMON_INSERT = text(f"""
INSERT INTO bills ({", ".join(COLUMNS)})
SELECT h.community_id, h.building_id, h.id, NULL, i.item_id, 'h' || h.id, :period, i.service_start, i.service_end,
       q.quantity, i.unit_price, CAST(round(q.quantity * i.unit_price * i.months * 100) AS bigint), 0, i.due_date,
       :status, i.description, :run_id, :now
FROM households h
CROSS JOIN unnest(CAST(:item_ids AS integer[]), CAST(:starts AS date[]), CAST(:ends AS date[]),
                  CAST(:prices AS numeric[]), CAST(:months AS integer[]), CAST(:dues AS date[]),
                  CAST(:descriptions AS text[]), CAST(:by_area AS boolean[]))
     AS i(item_id, service_start, service_end, unit_price, months, due_date, description, by_area)
CROSS JOIN LATERAL (SELECT {_QUANTITY} AS quantity) q
WHERE {_COMMON_HOUSEHOLDS} AND h.id BETWEEN :first AND :last AND q.quantity > 0
ON CONFLICT (fee_item_id, subject, period) DO NOTHING""")


def _common_parameters(community_id: int, period: str, plan: _Plan) -> dict[str, object]:
    items = [(item, span, *_item_constants(item.name, item.due_day, period, span)) for item, span in plan.common]
    return {"community_id": community_id, "period": period, "moved": plan.moved,
            "item_ids": [item.id for item, *_ in items], "starts": [span.start for _, span, *_ in items],
            "ends": [span.end for _, span, *_ in items], "prices": [item.unit_price for item, *_ in items],
            "months": [span.months for _, span, *_ in items], "dues": [due for *_, due, _ in items],
            "descriptions": [description for *_, description in items],
            "by_area": [item.kind == FeeKind.AREA for item, *_ in items]}


async def _common_batches(session: AsyncSession, parameters: dict[str, object], per_batch: int,
                          only_missing: bool) -> list[tuple[int, int, int]]:
    """(first household id, last household id, lines) of each batch of the common lines; with `only_missing`
    (a run continued or racing another) only households still missing one of their lines are counted."""
    if not parameters["item_ids"]:
        return []
    query = text(_COMMON_BATCHES.format(missing=_MISSING if only_missing else ""))
    return [tuple(row) for row in (await session.execute(query, {**parameters, "per_batch": per_batch})).all()]
