"""The real services integration tests use, and the rule for when one is missing: under CI=true a missing service
fails the test; on a developer's machine it skips with the reason."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pytest

from workflows.db import transaction
from workflows.demo import seed_demo
from workflows.migrate import run_outside_loop, upgrade
from workflows.runtime import Runtime
from workflows.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_DSN = os.environ.get("LINLI_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_ASYNC_BASE = os.environ.get("LINLI_TEST_PG_BASE", "postgresql+asyncpg://postgres@127.0.0.1:5432/")
REDIS_TEST_URL = os.environ.get("LINLI_TEST_REDIS", "redis://127.0.0.1:6379/0")
LINLI = Path(sys.executable).with_name("linli")  # the command, as operators run it in subprocesses


def require(service: str, host: str, port: int) -> None:
    """Fail (CI) or skip (elsewhere) when nothing listens on host:port."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError as exc:
        message = f"{service} is not reachable at {host}:{port}: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing service is a failure)")
        pytest.skip(message)


def test_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings for a test: everything under tmp, no .env, no LLM, in-process state unless overridden."""
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp / 'linli.db'}",
        "chroma_path": str(tmp / "chroma"),
        "media_dir": str(tmp / "media"),
        "redis_url": "",
        "run_workers_in_process": False,
        "secret_key": "test-secret",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


test_settings.__test__ = False  # a helper, not a test, wherever it is imported


async def seed(settings: Settings) -> None:
    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            await seed_demo(session)
    finally:
        await runtime.close()


def run_in_thread(make_coroutine) -> None:
    """asyncio.run, in a thread of its own when session fixtures are set up from inside a running test loop."""
    run_outside_loop(lambda: asyncio.run(make_coroutine()))


def build_sqlite_template(folder: Path) -> Path:
    """Migrate and seed one SQLite file per test session; each test gets a copy."""
    settings = test_settings(folder)
    upgrade(settings.database_url)
    run_in_thread(lambda: seed(settings))
    return folder / "linli.db"


def copy_sqlite(template: Path, tmp: Path) -> str:
    target = tmp / "linli.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


class PostgresDatabases:
    """A migrated, seeded template database, and per-test databases cloned from it; all dropped at the end."""

    def __init__(self) -> None:
        import psycopg

        self._psycopg = psycopg
        self.template = f"linli_tpl_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []

    def _admin(self, statement: str) -> None:
        with self._psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
            connection.execute(statement)

    def build_template(self, tmp: Path) -> None:
        self._admin(f'CREATE DATABASE "{self.template}"')
        settings = test_settings(tmp, database_url=PG_ASYNC_BASE + self.template)
        try:
            upgrade(settings.database_url)
            run_in_thread(lambda: seed(settings))
        except BaseException:
            self.drop(self.template)
            raise

    def clone(self) -> str:
        name = f"linli_t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return PG_ASYNC_BASE + name

    def empty(self) -> str:
        """A new database without tables (a restore target)."""
        name = f"linli_e_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return PG_ASYNC_BASE + name

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all(self) -> None:
        for name in [*self.created, self.template]:
            self.drop(name)


def linli_env(settings: Settings) -> dict[str, str]:
    """The same database and folders for the server and for `linli chat`; no real WeChat, no Redis."""
    return {**os.environ, "LINLI_DATABASE_URL": settings.database_url, "LINLI_MEDIA_DIR": settings.media_dir,
            "LINLI_CHROMA_PATH": settings.chroma_path, "LINLI_REDIS_URL": "", "LINLI_SECRET_KEY": "browser-test",
            "LINLI_RUN_WORKERS_IN_PROCESS": "false", "LINLI_WECHAT_API_BASE": "http://127.0.0.1:9"}
