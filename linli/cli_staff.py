"""`linli staff ...`: staff accounts from the command line (the first admin, resetting a locked account)."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from workflows.settings import Settings
from workflows.staff.models import ROLE_LABELS, Role

staff_app = typer.Typer(help="Staff accounts (员工账号).", no_args_is_help=True)
console = Console()


async def _create(settings: Settings, *, username: str, name: str, role: Role, communities: list[str],
                  password: str, phone: str) -> int:
    from workflows.db import transaction
    from workflows.runtime import Runtime
    from workflows.staff.service import create_staff

    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            staff = await create_staff(session, username=username, display_name=name, role=role,
                                       community_codes=communities, password=password, phone=phone)
            return staff.id
    finally:
        await runtime.close()


@staff_app.command("create")
def create(username: str = typer.Option(..., help="login name, e.g. wang.shifu"),
           name: str = typer.Option("", help="name shown to colleagues, e.g. 王师傅"),
           role: Role = typer.Option(..., help="admin, manager, front_desk, technician, security, finance"),
           community: list[str] = typer.Option([], help="community code (repeatable), e.g. YGHY"),
           password: str = typer.Option("", help="leave empty to be asked (not echoed)"),
           phone: str = typer.Option("")) -> None:
    """Create a staff account with an argon2 password hash."""
    from workflows.staff.service import StaffError

    if not password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        staff_id = asyncio.run(_create(Settings(), username=username, name=name, role=role, communities=community,
                                       password=password, phone=phone))
    except StaffError as exc:
        console.print(f"[red]{exc.field}: {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]created staff #{staff_id} {username} ({ROLE_LABELS[role]})[/green]")


async def _unlock(settings: Settings, username: str) -> bool:
    from sqlalchemy import select

    from workflows.db import transaction
    from workflows.runtime import Runtime
    from workflows.staff.models import StaffUser

    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            staff = await session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))
            if staff is None:
                return False
            staff.locked_until, staff.failed_logins = None, 0
            return True
    finally:
        await runtime.close()


@staff_app.command("unlock")
def unlock(username: str) -> None:
    """Lift a login lockout (after too many wrong passwords)."""
    if not asyncio.run(_unlock(Settings(), username)):
        console.print(f"[red]no staff account {username}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]{username} unlocked[/green]")
