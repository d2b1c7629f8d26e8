"""`linli demo`: the demo community plus what each package seeds for it."""

from __future__ import annotations

from workflows.db import transaction
from workflows.demo import seed_demo
from workflows.runtime import Runtime
from workflows.settings import Settings


async def seed_everything(settings: Settings) -> dict[str, int]:
    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            created = await seed_demo(session)
        # --- other packages' demo seeds (FAQ, ...) follow here ---
        from linli.cli_kb import seed_demo_knowledge

        created["faq_entries"] = await seed_demo_knowledge(settings)
        from workflows.repairs.demo import seed_repair_demo

        async with transaction(runtime.sessions) as session:
            created["repair_tickets"] = await seed_repair_demo(session)
        from workflows.announcements.demo import seed_board_demo

        async with transaction(runtime.sessions) as session:
            created["announcements_and_activities"] = await seed_board_demo(session)
        return created
    finally:
        await runtime.close()
