"""`linli duty`: the duty roster (值班) of security staff, the same service the back office's 值班 page calls."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from linli.cli_sessions import in_transaction

duty_app = typer.Typer(help="Duty roster (值班): which security guards are on duty when.", no_args_is_help=True)
console = Console()


async def _community(session, code: str):  # noqa: ANN001, ANN202 - an AsyncSession -> Community
    from workflows.community.models import Community

    found = await session.scalar(select(Community).where(Community.code == code))
    if found is None:
        raise typer.BadParameter(f"no community with code {code}")
    return found


@duty_app.command("list")
def list_shifts(community: str = typer.Option("YGHY", help="community code")) -> None:
    """The community's shifts and who is on duty now."""
    from workflows.duty import service as duty
    from workflows.staff.models import StaffUser

    async def read(session):  # noqa: ANN001, ANN202
        found = await _community(session, community)
        shifts = await duty.shifts_of(session, community_ids={found.id})
        names = {s.id: s.username for s in await session.scalars(select(StaffUser))}
        now = await duty.on_duty_security(session, community_id=found.id)
        return found, shifts, names, now

    found, shifts, names, now = asyncio.run(in_transaction(read))
    table = Table(title=f"{found.name} 值班")
    for column in ("id", "保安", "星期", "时间", "班次"):
        table.add_column(column)
    for shift in shifts:
        table.add_row(str(shift.id), names.get(shift.staff_id, "?"), shift.days_label, shift.hours_label, shift.label)
    console.print(table)
    who = "、".join(s.username for s in now.staff) or "（没有在岗的保安账号）"
    console.print(f"现在当班：{who}" + ("" if now.rostered else "（此刻没有排班：全部保安）"))


@duty_app.command("add")
def add_shift(community: str = typer.Option("YGHY", help="community code"),
              staff: str = typer.Option(..., help="the guard's username, e.g. baoan"),
              days: str = typer.Option("每天", help="每天, 1-5, 67 (ISO weekdays, Monday = 1)"),
              start: str = typer.Option(..., "--from", help="local time, e.g. 08:00"),
              end: str = typer.Option(..., "--to", help="local time; at or before --from runs past midnight"),
              label: str = typer.Option("", help="白班 / 夜班")) -> None:
    """Roster a guard: on these weekdays between these local times."""
    from workflows.duty import service as duty
    from workflows.staff.models import StaffUser

    async def add(session):  # noqa: ANN001, ANN202
        found = await _community(session, community)
        guard = await session.scalar(select(StaffUser).where(StaffUser.username == staff.strip().lower()))
        shift = await duty.add_shift(session, community_id=found.id, staff_id=guard.id if guard else 0,
                                     weekdays=days, starts=start, ends=end, label=label, actor="cli")
        return shift.id, shift.days_label, shift.hours_label

    try:
        shift_id, days_label, hours = asyncio.run(in_transaction(add))
    except duty.DutyError as exc:
        console.print(f"[red]{exc.field}: {exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"shift {shift_id}: {staff} {days_label} {hours}")


@duty_app.command("remove")
def remove_shift(shift_id: int = typer.Argument(..., help="the id `linli duty list` shows")) -> None:
    """Remove one shift."""
    from workflows.duty import service as duty
    from workflows.duty.models import DutyShift

    async def remove(session):  # noqa: ANN001, ANN202
        shift = await session.get(DutyShift, shift_id)
        if shift is None:
            raise typer.BadParameter(f"no shift {shift_id}")
        await duty.remove_shift(session, shift=shift, actor="cli")

    asyncio.run(in_transaction(remove))
    console.print(f"shift {shift_id} removed")
