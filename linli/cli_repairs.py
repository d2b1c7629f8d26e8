"""`linli repairs`: the monthly duplicate report, a community's repair categories, and one pass of the SLA timers."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import delete, select

from workflows.settings import Settings

repairs_app = typer.Typer(help="Repairs (报修): duplicate report, categories, SLA timers.", no_args_is_help=True)
console = Console()


async def _community_id(session, code: str | None) -> int | None:  # noqa: ANN001 - an AsyncSession
    from workflows.community.models import Community

    if code is None:
        return None
    found = await session.scalar(select(Community.id).where(Community.code == code))
    if found is None:
        raise typer.BadParameter(f"no community with code {code}")
    return found


@repairs_app.command("report")
def report(month: str = typer.Option("", help="YYYY-MM, local time; default: this month"),
           community: str | None = typer.Option(None, help="community code, e.g. YGHY; default: all")) -> None:
    """Tickets created, duplicates prevented and the duplicate rate of one month."""
    from workflows.clock import local, utcnow
    from workflows.repairs.duplicates import monthly_duplicate_report
    from workflows.runtime import Runtime

    year, number = (int(part) for part in month.split("-")) if month else (local(utcnow()).year,
                                                                            local(utcnow()).month)

    async def run() -> None:
        runtime = Runtime.from_settings(Settings())
        try:
            async with runtime.sessions() as session:
                result = await monthly_duplicate_report(session, year=year, month=number,
                                                        community_id=await _community_id(session, community))
        finally:
            await runtime.close()
        table = Table(title=f"重复报修 {result.month}")
        for column in ("新建工单", "避免的重复", "仍然新建的重复", "重复率"):
            table.add_column(column, justify="right")
        table.add_row(str(result.tickets_created), str(result.duplicates_prevented), str(result.duplicates_created),
                      f"{result.duplicate_rate:.1%}")
        console.print(table)

    asyncio.run(run())


@repairs_app.command("categories")
def categories(community: str = typer.Argument(..., help="community code, e.g. YGHY"),
               set_: str = typer.Option("", "--set", help="replace them: 名称:技能组:完成小时,… e.g. "
                                                          "水电:水电:24,电梯:电梯:8,其他:其他:72")) -> None:
    """Show (or replace) a community's repair categories and the technician group each goes to."""
    from workflows.db import transaction
    from workflows.repairs.dispatch import category_specs
    from workflows.repairs.models import RepairCategory
    from workflows.runtime import Runtime

    rows = []
    for index, item in enumerate(filter(None, (part.strip() for part in set_.split(",")))):
        name, skill, hours = (item.split(":") + ["", ""])[:3]
        if not name or (hours and not hours.isdigit()):
            raise typer.BadParameter(f"cannot read {item!r}: 名称:技能组:完成小时")
        rows.append((index, name, skill or name, int(hours or 72)))

    async def run() -> None:
        runtime = Runtime.from_settings(Settings())
        try:
            async with transaction(runtime.sessions) as session:
                community_id = await _community_id(session, community)
                if rows:
                    await session.execute(delete(RepairCategory).where(RepairCategory.community_id == community_id))
                    session.add_all(RepairCategory(community_id=community_id, name=name, skill=skill,
                                                   resolve_hours=hours, sort_key=index)
                                    for index, name, skill, hours in rows)
                    await session.flush()
                specs = await category_specs(session, community_id=community_id)
        finally:
            await runtime.close()
        table = Table(title=f"{community} 报修类别")
        for column in ("类别", "技能组", "完成时限（小时）"):
            table.add_column(column)
        for spec in specs:
            table.add_row(spec.name, spec.skill, str(spec.resolve_hours))
        console.print(table)

    asyncio.run(run())


@repairs_app.command("timers")
def timers() -> None:
    """Run the SLA and auto-close timers once (the worker runs them every minute)."""
    from workflows.repairs.scheduled import run_repair_timers
    from workflows.repairs.service import RepairPolicy
    from workflows.runtime import Runtime

    async def run() -> dict[str, int]:
        settings = Settings()
        runtime = Runtime.from_settings(settings)
        try:
            return await run_repair_timers(runtime.sessions, RepairPolicy.from_settings(settings))
        finally:
            await runtime.close()

    console.print(asyncio.run(run()))
