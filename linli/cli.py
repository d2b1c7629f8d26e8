"""The `linli` command: serve, worker, db, demo, chat, wechat, staff, kb."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from workflows.settings import Settings

app = typer.Typer(help="Linli 邻里: property management for residential communities.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.")
app.add_typer(db_app, name="db")
console = Console()

# --- sub-commands from other modules are added at the end of this file ---


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (SQLite or PostgreSQL, from LINLI_DATABASE_URL)."""
    from workflows.migrate import upgrade

    settings = Settings()
    settings.ensure_local_dirs()
    upgrade(settings.database_url, revision)
    console.print(f"[green]database is at {revision}[/green]")


@app.command()
def demo() -> None:
    """Seed the demo community (阳光花园), its residents and staff. Safe to run again."""
    from linli.demo import seed_everything

    created = asyncio.run(seed_everything(Settings()))
    console.print(f"demo data ready: {created}", soft_wrap=True)


@app.command()
def serve(host: str | None = None, port: int | None = None) -> None:
    """Start the web service (WeChat webhook, back office) with its background loops."""
    import uvicorn

    from linli.app import create_app

    settings = Settings()
    host, port = host or settings.host, port or settings.port
    print_next_steps(settings, host, port)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)


@app.command()
def worker() -> None:
    """Run the background loops (outbox delivery, timers) without the web server; start several in production."""
    from linli.app import create_app

    async def run() -> None:
        application = create_app(Settings(), start_loops=True, warm=False)  # the model loads if a loop needs it
        async with application.router.lifespan_context(application):
            console.print(f"worker running {len(application.state.loops)} loops; Ctrl-C stops it")
            await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


def print_next_steps(settings: Settings, host: str, port: int) -> None:
    from workflows.demo import DEMO_PASSWORD

    base = f"http://{host}:{port}"
    console.print(f"""
[bold]Linli 邻里 is starting on {base}[/bold]
  WeChat server URL (公众号 服务器地址): {base}/wechat   Token: {settings.wechat_token}
  Back office: {base}/admin   demo manager: [bold]manager[/bold] / [bold]{DEMO_PASSWORD}[/bold]
  Health: {base}/healthz   Metrics: {base}/metrics
  Try the bot without WeChat, in another terminal:  [bold].venv/bin/linli chat[/bold]
    then: 绑定房屋 → 阳光花园 → 1栋 → 1单元101 → 张伟 → 1234, then 我的房屋
""", soft_wrap=True)


def main() -> None:
    app()


from linli.cli_staff import staff_app  # noqa: E402

app.add_typer(staff_app, name="staff")


from linli.chat import chat_command  # noqa: E402 - sub-commands are registered at the end

app.command("chat")(chat_command)


from linli.cli_wechat import wechat_app  # noqa: E402

app.add_typer(wechat_app, name="wechat")


from linli.cli_kb import kb_app  # noqa: E402

app.add_typer(kb_app, name="kb")


from linli.cli_repairs import repairs_app  # noqa: E402

app.add_typer(repairs_app, name="repairs")


from linli.cli_community import community_app  # noqa: E402

app.add_typer(community_app, name="community")


from linli.cli_backup import backup_app  # noqa: E402

app.add_typer(backup_app, name="backup")


from linli.cli_bills import bills_app  # noqa: E402

app.add_typer(bills_app, name="bills")


from linli.cli_devices import devices_app  # noqa: E402

app.add_typer(devices_app, name="devices")

from linli.cli_duty import duty_app  # noqa: E402

app.add_typer(duty_app, name="duty")
