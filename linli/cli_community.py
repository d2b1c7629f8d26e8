"""`linli community …`: a company's own communities from the command line — create, change, list, buildings and the
roster import (业主名册). The back office's 小区设置 page calls the same services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from linli.cli_sessions import in_transaction

community_app = typer.Typer(help="Communities (小区): create, settings, buildings, roster import.",
                            no_args_is_help=True)
console = Console()
ACTOR = "cli"
T = TypeVar("T")


def _in_transaction(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(session)` in one transaction on the configured database; errors of the services exit with 1."""
    from workflows.community.manage import CommunityError
    from workflows.community.roster import RosterInvalid

    try:
        return asyncio.run(in_transaction(work))
    except CommunityError as exc:
        console.print(f"[red]{exc.field}: {exc}[/red]")
        raise typer.Exit(1) from exc
    except RosterInvalid as exc:
        console.print("[red]nothing imported, please fix these rows:[/red]")
        for error in exc.errors[:50]:
            console.print(f"  第 {error.line} 行 {error.label}：{error.message}")
        raise typer.Exit(1) from exc


async def _community(session: Any, code: str) -> Any:
    from workflows.community.manage import CommunityError, find_community

    community = await find_community(session, code=code)
    if community is None:
        raise CommunityError("code", f"no community with code {code} (linli community list)")
    return community


def _values(code: str, name: str, phone: str, address: str, location: str, radius: int, hours: str) -> Any:
    from workflows.community.manage import CommunityValues, parse_location

    latitude, longitude = parse_location(location)
    return CommunityValues(code=code, name=name, phone=phone, address=address, latitude=latitude,
                           longitude=longitude, radius_m=radius, working_hours=hours)


@community_app.command("create")
def create(code: str = typer.Option(..., help="short code used in ticket numbers, e.g. YGHY"),
           name: str = typer.Option(..., help="the name owners know, e.g. 阳光花园"),
           phone: str = typer.Option("", help="物业服务电话, e.g. 021-55550000"),
           address: str = typer.Option(""),
           location: str = typer.Option("", help="centre as latitude,longitude, e.g. 31.2304,121.4737"),
           radius: int = typer.Option(500, help="metres around the centre that count as the community"),
           working_hours: str = typer.Option("", help="office hours, e.g. 08:00-18:00 (default LINLI_WORKING_HOURS)"),
           buildings: str = typer.Option("", help="buildings to add now, e.g. '1-6' or '1栋,2栋,商铺'")) -> None:
    """Create a community (and optionally its buildings)."""
    from workflows.community.manage import add_buildings, building_names, create_community

    async def work(session: Any) -> tuple[int, int]:
        values = _values(code, name, phone, address, location, radius, working_hours)
        community = await create_community(session, values=values, actor=ACTOR)
        added = await add_buildings(session, community=community, names=building_names(buildings), actor=ACTOR)
        return community.id, len(added)

    community_id, added = _in_transaction(work)
    console.print(f"[green]created community #{community_id} {code.upper()} {name}[/green], {added} buildings")


@community_app.command("update")
def update(code: str = typer.Argument(..., help="the community's current code"),
           name: str = typer.Option(None), phone: str = typer.Option(None), address: str = typer.Option(None),
           location: str = typer.Option(None, help="latitude,longitude"), radius: int = typer.Option(None),
           working_hours: str = typer.Option(None), new_code: str = typer.Option(None)) -> None:
    """Change a community's settings; options left out keep their value."""
    from workflows.community.manage import update_community

    async def work(session: Any) -> None:
        community = await _community(session, code)
        here = f"{community.latitude},{community.longitude}" if community.latitude is not None else ""
        values = _values(new_code or community.code, name if name is not None else community.name,
                         phone if phone is not None else community.phone,
                         address if address is not None else community.address,
                         location if location is not None else here,
                         radius if radius is not None else community.radius_m,
                         working_hours if working_hours is not None else community.working_hours)
        await update_community(session, community=community, values=values, actor=ACTOR)

    _in_transaction(work)
    console.print(f"[green]{code.upper()} updated[/green]")


@community_app.command("list")
def list_command() -> None:
    """Every community with its buildings and households."""
    from sqlalchemy import func, select

    from workflows.community.models import Building, Community, Household

    async def work(session: Any) -> list[tuple[Any, int, int]]:
        rows = []
        for community in await session.scalars(select(Community).order_by(Community.id)):
            buildings = await session.scalar(select(func.count()).where(Building.community_id == community.id))
            households = await session.scalar(select(func.count()).where(Household.community_id == community.id))
            rows.append((community, buildings, households))
        return rows

    rows = _in_transaction(work)
    if not rows:
        console.print("no community yet: linli community create --code XXXX --name 小区名称 …")
    for community, buildings, households in rows:
        console.print(f"{community.code:<8} {community.name}  电话 {community.phone or '-'}  "
                      f"办公时间 {community.working_hours or '(默认)'}  {buildings} 栋 {households} 户")


@community_app.command("buildings")
def buildings_command(code: str = typer.Argument(..., help="community code"),
                      names: str = typer.Argument("", help="to add: '1-6' or '1栋,2栋,商铺'; empty: list")) -> None:
    """List a community's buildings, or add some."""
    from workflows.community.manage import add_buildings, building_names
    from workflows.community.service import list_buildings

    async def work(session: Any) -> tuple[list[str], int]:
        community = await _community(session, code)
        added = await add_buildings(session, community=community, names=building_names(names), actor=ACTOR)
        return [b.name for b in await list_buildings(session, community_id=community.id)], len(added)

    all_names, added = _in_transaction(work)
    console.print(f"{code.upper()}: {len(all_names)} buildings ({added} added): {'、'.join(all_names)}")


@community_app.command("roster")
def roster_command(code: str = typer.Argument(..., help="community code"),
                   file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                               help=".xlsx/.csv: 楼栋, 房号, 面积, 业主姓名, 电话, 入住日期")) -> None:
    """Import the owners' roster (业主名册): buildings, households and owners; all or nothing."""
    from workflows.community.roster import import_roster, read_roster

    data = file.read_bytes()

    async def work(session: Any) -> Any:
        community = await _community(session, code)
        rows, errors = read_roster(file.name, data)
        return await import_roster(session, community_id=community.id, rows=rows, errors=errors, actor=ACTOR)

    result = _in_transaction(work)
    console.print(f"[green]roster imported[/green]: {result.buildings_created} buildings, "
                  f"{result.households_created} households created ({result.households_updated} updated), "
                  f"{result.residents_created} owners added ({result.residents_updated} updated)")
