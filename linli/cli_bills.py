"""`linli bills`: generate a billing month's bills (账单) with a progress bar; idempotent and resumable."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from workflows.settings import Settings

bills_app = typer.Typer(help="Billing (缴费): bill runs.", no_args_is_help=True)
console = Console()


@bills_app.command("generate")
def generate(period: str = typer.Option(..., help="the billing month, YYYY-MM, e.g. 2026-12"),
             community: str | None = typer.Option(None, help="community code, e.g. YGHY; default: all"),
             batch_size: int = typer.Option(30_000, help="bill lines per transaction (a rerun after an "
                                                         "interruption resumes from the last one committed)")) -> None:
    """Create the bill lines of one billing month. Running it again (also after an interruption) adds only what is
    missing, never a duplicate."""
    from workflows.billing.generation import generate_bills
    from workflows.billing.pricing import parse_period, yuan
    from workflows.community.models import Community
    from workflows.runtime import Runtime

    try:
        parse_period(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None

    async def run() -> None:
        runtime = Runtime.from_settings(Settings())
        try:
            community_ids = None
            async with runtime.sessions() as session:
                names = dict((await session.execute(select(Community.id, Community.name))).all())
                if community is not None:
                    found = await session.scalar(select(Community.id).where(Community.code == community))
                    if found is None:
                        raise typer.BadParameter(f"no community with code {community}", param_hint="--community")
                    community_ids = [found]
            with Progress(TextColumn("[bold]生成账单 {task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console) as progress:
                task = progress.add_task(period, total=None)
                runs = await generate_bills(runtime.sessions, period=period, community_ids=community_ids,
                                            started_by="cli", batch_size=batch_size,
                                            on_plan=lambda total: progress.update(task, total=total),
                                            on_progress=lambda done: progress.advance(task, done))
        finally:
            await runtime.close()
        table = Table(title=f"账期 {period}")
        for column in ("小区", "账单行", "应收（元）"):
            table.add_column(column)
        for bill_run in runs:
            table.add_row(names.get(bill_run.community_id, str(bill_run.community_id)), str(bill_run.bills_created),
                          yuan(bill_run.amount_fen))
        console.print(table)

    asyncio.run(run())


@bills_app.command("device-readings")
def device_readings(period: str = typer.Option(..., help="the billing month, YYYY-MM"),
                    item: str = typer.Option(..., help="the metered fee item's name, e.g. 水费"),
                    meter: str = typer.Option(..., help="the meters that feed it: water | electricity | gas"),
                    community: str = typer.Option("YGHY", help="community code")) -> None:
    """抄表 from smart meters: each household's last device reading of the month becomes the item's reading."""
    from workflows.billing.device_readings import record_device_readings
    from workflows.billing.models import FeeItem, FeeKind
    from workflows.community.models import Community
    from workflows.db import transaction
    from workflows.runtime import Runtime

    async def run():  # noqa: ANN202
        runtime = Runtime.from_settings(Settings())
        try:
            async with transaction(runtime.sessions) as session:
                found = await session.scalar(select(Community.id).where(Community.code == community))
                fee_item = await session.scalar(select(FeeItem).where(
                    FeeItem.community_id == found, FeeItem.name == item, FeeItem.kind == FeeKind.METERED,
                    FeeItem.active.is_(True)).order_by(FeeItem.effective_from.desc()).limit(1))
                if fee_item is None:
                    raise typer.BadParameter(f"no metered fee item {item} in {community}", param_hint="--item")
                return await record_device_readings(session, item=fee_item, period=period, meter_type=meter)
        finally:
            await runtime.close()

    try:
        result = asyncio.run(run())
    except ValueError as exc:  # a bad --period
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    console.print(f"{period} {item}: {result.recorded} readings recorded from {meter} meters")
    for household_id, why in result.refused:
        console.print(f"[yellow]household {household_id}: {why}[/yellow]")
