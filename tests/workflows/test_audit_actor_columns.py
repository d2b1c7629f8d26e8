"""Audit rows name who acted by two columns, actor_kind and actor_id (issue #18's rule book: no "staff:3" strings
parsed back). Rows written before the change are filled in by the migration and read the same way."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from tests.services import test_settings
from workflows.access import SYSTEM, Actor
from workflows.audit.models import AuditEvent
from workflows.audit.service import record_event
from workflows.db import transaction
from workflows.migrate import upgrade


def test_rows_written_before_the_columns_are_filled_in_by_the_migration(tmp_path):
    url = test_settings(tmp_path).database_url
    upgrade(url, "0013_reminders_points")
    path = url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO audit_events (entity_type, entity_id, action, actor, reason, data, created_at) "
                       "VALUES ('repair', '1', 'x', ?, '', '{}', '2026-11-01 00:00:00')",
                       [("staff:3",), ("owner:o-abc:def",), ("system",), ("cli",), ("device:YG-01",)])
    upgrade(url)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT actor, actor_kind, actor_id FROM audit_events ORDER BY id").fetchall()
    assert rows == [("staff:3", "staff", "3"), ("owner:o-abc:def", "owner", "o-abc:def"), ("system", "system", ""),
                    ("cli", "system", "cli"), ("device:YG-01", "system", "device:YG-01")]


async def test_new_rows_store_the_actor_kind_and_id_and_the_audit_page_names_staff_by_them(runtime):
    async with transaction(runtime.sessions) as session:
        manager = Actor(role="manager", staff_id=2, community_ids=frozenset({1}))
        for actor in (manager, Actor.owner("o-zhang"), SYSTEM, "cli"):
            record_event(session, entity_type="repair", entity_id=1, action="probe", actor=actor, community_id=1)
    async with runtime.sessions() as session:
        rows = (await session.execute(select(AuditEvent.actor_kind, AuditEvent.actor_id).where(
            AuditEvent.action == "probe").order_by(AuditEvent.id))).tuples().all()
    assert rows == [("staff", "2"), ("owner", "o-zhang"), ("system", ""), ("system", "cli")]
    async with staff_client(runtime, "manager") as client:
        page = await client.page("/admin/audit?entity=repair&actor=manager")
    assert page.status_code == 200 and page.text.count("周经理") >= 1 and "o-zhang" not in page.text
