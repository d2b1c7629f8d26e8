"""`linli backup …` (数据备份与灾备): make a backup now, list them, restore one into an empty database, and the drill
(`verify`: restore the latest into a scratch database and compare every table with the snapshot's checksums)."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from workflows.settings import Settings

backup_app = typer.Typer(help="Backups (数据备份与灾备): make, list, restore, verify.", invoke_without_command=True)
console = Console()


def _fail(exc: Exception) -> None:
    console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
    raise typer.Exit(1) from exc


@backup_app.callback()
def backup(ctx: typer.Context) -> None:
    """Without a sub-command: make a backup now (database snapshot + media, encrypted, to LINLI_BACKUP_DESTINATION),
    record it for the dashboard and apply retention."""
    if ctx.invoked_subcommand is not None:
        return
    from workflows.backups.models import BackupStatus
    from workflows.backups.runs import run_backup
    from workflows.runtime import Runtime

    async def run() -> object:
        runtime = Runtime.from_settings(Settings())
        try:
            return await run_backup(runtime)
        finally:
            await runtime.close()

    record = asyncio.run(run())
    if record.status != BackupStatus.OK:
        console.print(f"[red]backup failed: {record.error}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]backup {record.name}[/green] ({record.size_bytes / 1e6:.1f} MB) → {record.destination}")


@backup_app.command("list")
def list_command() -> None:
    """Backups at the destination, newest first."""
    from workflows.backups.service import list_backups

    try:
        names = list_backups(Settings())
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        _fail(exc)
    for name in names:
        console.print(name)
    if not names:
        console.print("no backup yet")


@backup_app.command("restore")
def restore_command(name: str = typer.Argument(None, help="a name from `linli backup list`; default: the latest"),
                    database_url: str = typer.Option(None, help="default: LINLI_DATABASE_URL (must be empty)"),
                    media_dir: str = typer.Option(None, help="default: LINLI_MEDIA_DIR"),
                    reindex: bool = typer.Option(True, help="rebuild the FAQ index from the restored table")) -> None:
    """Restore a backup into an empty database (and the media folder), migrate it to this release, rebuild the FAQ
    index from the restored FAQ table."""
    from workflows.backups.service import restore_backup
    from workflows.migrate import upgrade

    settings = Settings()
    target = database_url or settings.database_url
    try:
        result = restore_backup(settings, name, database_url=target, media_dir=media_dir)
        upgrade(target)
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        _fail(exc)
    console.print(f"[green]restored {result.name}[/green]: {result.tables} tables, {result.rows} rows "
                  f"in {result.seconds:.1f} s")
    if reindex:
        from linli.cli_kb import reindex as rebuild_index

        changed, removed = asyncio.run(rebuild_index(settings.model_copy(update={"database_url": target})))
        console.print(f"FAQ index rebuilt from the restored table: {changed} entries (re)indexed, {removed} removed")


@backup_app.command("verify")
def verify_command(name: str = typer.Argument(None, help="default: the latest")) -> None:
    """The restore drill: restore into a scratch database, compare row counts and checksums table by table."""
    from workflows.backups.service import verify_backup

    try:
        result = verify_backup(Settings(), name)
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        _fail(exc)
    if not result.ok:
        console.print(f"[red]{result.name}: {len(result.mismatches)} tables differ[/red]")
        for problem in result.mismatches:
            console.print(f"  - {problem}")
        raise typer.Exit(1)
    console.print(f"[green]{result.name} verified[/green]: {result.tables} tables, {result.rows} rows identical "
                  f"(restored and checked in {result.seconds:.1f} s)")


@backup_app.command("keygen")
def keygen() -> None:
    """Print a new LINLI_BACKUP_KEY. Keep a copy away from the server: without it no backup can be read."""
    from workflows.backups.crypto import new_key

    print(new_key())
