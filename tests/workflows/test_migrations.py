"""The migrations and the models agree, on SQLite and on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflows.db import Base, import_all_models


def _differences(connection):
    import_all_models()
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


async def test_migrated_schema_matches_the_models(any_runtime):
    async with any_runtime.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []
