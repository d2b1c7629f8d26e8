"""The shared runtime of one process: settings, the database engine and sessions, the state store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from workflows.db import make_engine, make_sessionmaker
from workflows.settings import Settings
from workflows.statestore import StateStore, make_state_store


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    state: StateStore

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        settings.ensure_local_dirs()
        engine = make_engine(settings.database_url, echo=settings.debug_sql)
        return cls(settings=settings, engine=engine, sessions=make_sessionmaker(engine),
                   state=make_state_store(settings.redis_url, settings.redis_prefix))

    async def check_database(self) -> bool:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    async def close(self) -> None:
        await self.state.close()
        await self.engine.dispose()
