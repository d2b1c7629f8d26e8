"""`linli wechat …`: publishing the custom menu of the official account."""

from __future__ import annotations

import asyncio
import json

import typer
from rich.console import Console

from workflows.settings import Settings

wechat_app = typer.Typer(help="The WeChat official account (公众号).", no_args_is_help=True)
console = Console()


@wechat_app.command("menu")
def publish_menu(dry_run: bool = typer.Option(False, "--dry-run", help="Print the JSON, publish nothing.")) -> None:
    """Publish the custom menu (报修 / 物业服务 / 更多) through WeChat's menu API."""
    from bot.wechat.menu import default_menu, menu_problems

    menu = default_menu()
    problems = menu_problems(menu)
    if problems:
        console.print("[red]the menu breaks WeChat's limits:[/red] " + "; ".join(problems))
        raise typer.Exit(1)
    if dry_run:
        console.print_json(json.dumps(menu, ensure_ascii=False))
        return
    settings = Settings()
    if not settings.wechat_app_secret:
        console.print("[red]set LINLI_WECHAT_APPID and LINLI_WECHAT_APP_SECRET first[/red]")
        raise typer.Exit(1)
    asyncio.run(_publish(settings, menu))
    console.print("[green]menu published[/green]: 报修 / 物业服务（缴费、访客、投诉、最新公告、活动报名）/ 更多")


async def _publish(settings: Settings, menu: dict) -> None:
    from bot.wechat.api import WeChatApi, WeChatApiError
    from workflows.statestore import make_state_store

    state = make_state_store(settings.redis_url, settings.redis_prefix)
    api = WeChatApi(settings, state)
    try:
        await api.create_menu(menu)
    except WeChatApiError as exc:
        console.print(f"[red]WeChat refused the menu: {exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        await api.close()
        await state.close()
