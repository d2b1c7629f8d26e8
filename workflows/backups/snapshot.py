"""A consistent snapshot of the database, and putting one back.

PostgreSQL: `pg_dump` in custom format inside a REPEATABLE READ transaction whose snapshot it shares
(`pg_export_snapshot` + `--snapshot`), so the per-table row counts and checksums written beside it describe exactly
the dumped data; `pg_restore` into an empty database. SQLite: the online backup API (sqlite3.Connection.backup),
which copies a consistent image while the service keeps writing; restore copies the file.

Checksums are order-independent (the sorted SHA-256 digests of each row, hashed again), so they need no ORDER BY and
work for every table, including those without a primary key and with JSON columns.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

Checksums = dict[str, dict[str, Any]]  # table -> {"rows": n, "sha256": hex}


class SnapshotError(RuntimeError):
    """A dump or restore tool failed, or the target is not empty."""


def engine_of(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def sqlite_path(database_url: str) -> Path:
    return Path(make_url(database_url).database or "")


def libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it (PGPASSWORD), so the
    password never appears in a process list."""
    url = make_url(database_url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _digest_rows(cursor: Any, table: str, quote: str) -> dict[str, Any]:
    cursor.execute(f"SELECT * FROM {quote}{table}{quote}")  # noqa: S608 - table names from the catalogue
    digests = sorted(hashlib.sha256(repr(tuple(row)).encode()).digest() for row in cursor.fetchall())
    return {"rows": len(digests), "sha256": hashlib.sha256(b"".join(digests)).hexdigest()}


def sqlite_checksums(path: Path) -> Checksums:
    connection = sqlite3.connect(path)
    try:
        cursor = connection.cursor()
        tables = [r[0] for r in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {table: _digest_rows(cursor, table, '"') for table in tables}
    finally:
        connection.close()


def _pg_checksums(connection: Any) -> Checksums:
    cursor = connection.cursor()
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [r[0] for r in cursor.fetchall()]
    return {table: _digest_rows(cursor, table, '"') for table in tables}


def postgres_checksums(database_url: str) -> Checksums:
    import psycopg

    dsn, env = libpq(database_url)
    with psycopg.connect(dsn, password=env.get("PGPASSWORD"), autocommit=True) as connection:
        return _pg_checksums(connection)


def checksums(database_url: str) -> Checksums:
    if engine_of(database_url) == "sqlite":
        return sqlite_checksums(sqlite_path(database_url))
    return postgres_checksums(database_url)


def dump_database(database_url: str, folder: Path) -> tuple[str, Checksums]:
    """Write the snapshot into `folder`; returns its file name and the checksums of exactly what it holds."""
    if engine_of(database_url) == "sqlite":
        target = folder / "database.sqlite"
        source = sqlite3.connect(sqlite_path(database_url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target.name, sqlite_checksums(target)
    import psycopg

    dsn, env = libpq(database_url)
    target = folder / "database.dump"
    with psycopg.connect(dsn, password=env.get("PGPASSWORD"), autocommit=True) as connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        sums = _pg_checksums(connection)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
              f"--file={target}", f"--dbname={dsn}"], env)
        connection.execute("COMMIT")
    return target.name, sums


def restore_database(dump: Path, database_url: str) -> None:
    """Put a snapshot into an empty database (a missing or empty SQLite file, a PostgreSQL database without
    tables); anything else is refused so a restore never mixes two databases."""
    if engine_of(database_url) == "sqlite":
        if dump.name != "database.sqlite":
            raise SnapshotError("this backup holds a PostgreSQL dump: restore it into PostgreSQL")
        path = sqlite_path(database_url)
        if path.exists() and path.stat().st_size > 0:
            raise SnapshotError(f"{path} is not empty: restore into a new file")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dump, path)
        return
    if dump.name != "database.dump":
        raise SnapshotError("this backup holds a SQLite file: restore it into SQLite")
    import psycopg

    dsn, env = libpq(database_url)
    with psycopg.connect(dsn, password=env.get("PGPASSWORD"), autocommit=True) as connection:
        tables = connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    if tables:
        raise SnapshotError(f"the target database has {tables} tables: restore into an empty database")
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={dsn}", str(dump)], env)


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise SnapshotError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SnapshotError(f"{command[0]} failed: {done.stderr.strip()[-1000:]}")
