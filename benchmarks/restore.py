"""Backup and restore times (RTO) for the demo community and a generated community of 10,000 households.

    .venv/bin/python benchmarks/restore.py [--households 10000] [--engine postgresql sqlite]

For each engine: a fresh database (PostgreSQL: created for the run on 127.0.0.1 and dropped after; SQLite: a temp
file), migrated and seeded with the demo; then `create_backup` (snapshot + media + encryption to a temp folder),
`restore_backup` into an empty database, and `verify_backup` (restore into a scratch database + per-table checksums)
are timed. Then a community of N households (one owner each, a second resident in every third, 40 % bound in WeChat)
is added and the same three are timed again. The restore time is the RTO's database part; docs/operations.md adds
the rest (a machine, the release, `linli kb reindex`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("LINLI_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = os.environ.get("LINLI_BENCH_PG_BASE", "postgresql+asyncpg://postgres@127.0.0.1:5432/")


def admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(statement)


async def generate_community(settings, households: int) -> None:
    """万家社区: N households in buildings of 200, owners, family members, WeChat bindings; bulk inserts."""
    from sqlalchemy import insert, select

    from workflows.bindings.models import WechatBinding
    from workflows.community.models import Building, Community, Household, Resident
    from workflows.db import transaction
    from workflows.runtime import Runtime

    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            community = Community(code="WJSQ", name="万家社区", phone="021-88880000", address="万家路 1 号")
            session.add(community)
            await session.flush()
            per_building = 200
            count = (households + per_building - 1) // per_building
            await session.execute(insert(Building), [{"community_id": community.id, "name": f"{b}栋", "sort_key": b}
                                                     for b in range(1, count + 1)])
            buildings = list(await session.scalars(select(Building.id).where(Building.community_id == community.id)
                                                   .order_by(Building.sort_key)))
            rows = [{"community_id": community.id, "building_id": buildings[n // per_building],
                     "room": f"{n % per_building // 10 + 1}单元{n % 10 + 1:02d}0{n % 4 + 1}",
                     "area_m2": Decimal("89.50") + n % 60} for n in range(households)]
            await session.execute(insert(Household), rows)
            ids = list(await session.scalars(select(Household.id).where(Household.community_id == community.id)
                                             .order_by(Household.id)))
            residents = [{"community_id": community.id, "household_id": hid, "name": f"业主{n}",
                          "phone": f"139{n:08d}"} for n, hid in enumerate(ids)]
            residents += [{"community_id": community.id, "household_id": hid, "name": f"家属{n}", "phone": "",
                           "role": "family"} for n, hid in enumerate(ids) if n % 3 == 0]
            await session.execute(insert(Resident), residents)
            owners = list(await session.execute(select(Resident.id, Resident.household_id).where(
                Resident.community_id == community.id, Resident.name.like("业主%"))))
            await session.execute(insert(WechatBinding), [
                {"openid": f"oWanJia{n:07d}", "household_id": household_id, "resident_id": resident_id,
                 "community_id": community.id} for n, (resident_id, household_id) in enumerate(owners) if n % 5 < 2])
    finally:
        await runtime.close()


async def seed_demo_rows(settings) -> None:
    """The demo's communities, households, residents and staff (workflows.demo; no FAQ index is needed here)."""
    from workflows.db import transaction
    from workflows.demo import seed_demo
    from workflows.runtime import Runtime

    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            await seed_demo(session)
    finally:
        await runtime.close()


def measure(settings, restore_url: str) -> dict[str, float]:
    from workflows.backups.service import create_backup, restore_backup, verify_backup

    started = time.perf_counter()
    made = create_backup(settings)
    backup_s = time.perf_counter() - started
    restored = restore_backup(settings, database_url=restore_url, media_dir=str(Path(settings.media_dir) / "r"))
    checked = verify_backup(settings)
    assert checked.ok, checked.mismatches
    return {"rows": made.rows, "size_mb": made.size_bytes / 1e6, "backup_s": backup_s,
            "restore_s": restored.seconds, "verify_s": checked.seconds}


def run_engine(engine: str, households: int, folder: Path) -> list[tuple[str, dict[str, float]]]:
    from workflows.backups.crypto import new_key
    from workflows.migrate import upgrade
    from workflows.settings import Settings

    names: list[str] = []

    def new_database(tag: str) -> str:
        if engine == "sqlite":
            return f"sqlite+aiosqlite:///{folder / engine / tag / 'linli.db'}"
        name = f"linli_restore_bench_{uuid.uuid4().hex[:10]}"
        admin(f'CREATE DATABASE "{name}"')
        names.append(name)
        return PG_BASE + name

    try:
        source = new_database("source")
        settings = Settings(_env_file=None, database_url=source, media_dir=str(folder / engine / "media"),
                            chroma_path=str(folder / engine / "chroma"), backup_key=new_key(),
                            backup_destination=str(folder / engine / "backups"))
        settings.ensure_local_dirs()
        upgrade(source)
        asyncio.run(seed_demo_rows(settings))
        results = [("demo (2 communities, ~110 households)", measure(settings, new_database("demo-restore")))]
        asyncio.run(generate_community(settings, households))
        results.append((f"demo + {households:,} households", measure(settings, new_database("big-restore"))))
        return results
    finally:
        for name in names:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--engine", nargs="+", choices=["postgresql", "sqlite"], default=["postgresql", "sqlite"])
    args = parser.parse_args()
    print(f"{'engine':<11} {'data':<40} {'rows':>8} {'file MB':>8} {'backup s':>9} {'restore s':>10} "
          f"{'verify s':>9}")
    for engine in args.engine:
        with tempfile.TemporaryDirectory(prefix="linli-restore-bench-") as tmp:
            for label, row in run_engine(engine, args.households, Path(tmp)):
                print(f"{engine:<11} {label:<40} {row['rows']:>8} {row['size_mb']:>8.2f} {row['backup_s']:>9.2f} "
                      f"{row['restore_s']:>10.2f} {row['verify_s']:>9.2f}", flush=True)
    print(f"load average (1 min) after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other work on the machine stretches every figure)")


if __name__ == "__main__":
    main()
