"""Running Alembic from code (`linli db upgrade`, tests), without an alembic.ini on disk."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def run_outside_loop(work: Callable[[], None]) -> None:
    """Call `work` here, or in a thread of its own when an event loop runs in this thread (Alembic's async env and
    asyncio.run cannot run inside a running loop); its exception is re-raised in the caller's thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        work()
        return
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=guarded)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`; safe to call from inside a running event loop."""
    run_outside_loop(lambda: command.upgrade(alembic_config(database_url), revision))


def make_revision(database_url: str, message: str, rev_id: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True, rev_id=rev_id)
