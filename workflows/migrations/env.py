"""Alembic environment: runs migrations on the async engine of the configured database (SQLite or PostgreSQL)."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from workflows.db import Base, import_all_models, make_engine

import_all_models()
config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced, dropping a table that other
        # rows reference fails. The pragma only takes effect outside a transaction, so it is set before the
        # migrations' transaction, and every key is checked before it commits (the connection is closed after).
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
            raise RuntimeError(f"foreign keys broken by the migrations (table, rowid, parent, key): {broken[:10]}")


async def _run_async() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
