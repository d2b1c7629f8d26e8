"""Shared fixtures: settings, a migrated and seeded database (SQLite, or PostgreSQL in integration tests),
Redis with a key prefix of its own, and the runtime built from them."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.services import (
    LINLI,
    REDIS_TEST_URL,
    PostgresDatabases,
    build_sqlite_template,
    copy_sqlite,
    linli_env,
    require,
    test_settings,
)
from workflows.runtime import Runtime
from workflows.settings import Settings


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def chroma_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Chroma folder as `linli demo` leaves it (`linli kb reindex` in a process of its own): the FAQ index and the
    labelled sentences' vectors. Each server starts on a copy and reads them back instead of embedding ~1,500
    sentences at start-up."""
    tmp_path = tmp_path_factory.mktemp("chroma-template")
    settings = test_settings(tmp_path, database_url=copy_sqlite(sqlite_template, tmp_path))
    done = subprocess.run([str(LINLI), "kb", "reindex"], env=linli_env(settings), capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return Path(settings.chroma_path)


@pytest.fixture(scope="session")
def postgres_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresDatabases]:
    require("PostgreSQL", "127.0.0.1", 5432)
    databases = PostgresDatabases()
    databases.build_template(tmp_path_factory.mktemp("pg-template"))
    yield databases
    databases.drop_all()


@pytest.fixture
def pg_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    url = postgres_databases.clone()
    yield url
    postgres_databases.drop(url.rsplit("/", 1)[1])


@pytest.fixture
def redis_url() -> str:
    require("Redis", "127.0.0.1", 6379)
    return REDIS_TEST_URL


@pytest.fixture
def redis_prefix() -> str:
    return f"linli-test:{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """Embedded defaults on a copy of the seeded demo database."""
    return test_settings(tmp_path, database_url=copy_sqlite(sqlite_template, tmp_path))


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime.from_settings(settings)
    yield runtime
    await runtime.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def any_runtime(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Runtime]:
    """The same test on the embedded default and on PostgreSQL + Redis (the production parts)."""
    if request.param == "sqlite":
        settings = test_settings(tmp_path, database_url=copy_sqlite(sqlite_template, tmp_path))
    else:
        pg_url = request.getfixturevalue("pg_url")
        settings = test_settings(tmp_path, database_url=pg_url, redis_url=request.getfixturevalue("redis_url"),
                                 redis_prefix=request.getfixturevalue("redis_prefix"))
    runtime = Runtime.from_settings(settings)
    yield runtime
    await runtime.close()
