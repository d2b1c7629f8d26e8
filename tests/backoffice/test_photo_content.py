"""Finding 6: an uploaded "photo" is checked by its bytes (magic numbers), not by the type the browser claims."""

from __future__ import annotations

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from workflows.community.models import Community
from workflows.db import transaction
from workflows.repairs.models import RepairNote
from workflows.repairs.service import open_repair

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _ticket(runtime) -> int:
    async with transaction(runtime.sessions) as session:
        community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        ticket = await open_repair(session, community_id=community_id, openid="o-photo", category="水电",
                                   description="水管漏水", auto_dispatch=False)
        return ticket.id


async def test_html_bytes_named_as_a_jpeg_are_refused_and_a_real_png_is_kept(runtime):
    ticket_id = await _ticket(runtime)
    html = b"<html><script>alert(document.cookie)</script></html>"
    async with staff_client(runtime, "kefu") as client:
        refused = await client.submit(f"/admin/repairs/{ticket_id}/comment", {"body": "看图"},
                                      files={"photo": ("leak.jpg", html, "image/jpeg")})
        assert refused.status_code == 400 and "图片" in refused.text
        kept = await client.submit(f"/admin/repairs/{ticket_id}/comment", {"body": "看图"},
                                   files={"photo": ("leak.jpg", PNG, "image/jpeg")})
        assert kept.status_code == 303
    async with runtime.sessions() as session:
        notes = list(await session.scalars(select(RepairNote).where(RepairNote.ticket_id == ticket_id)))
    assert len(notes) == 1 and notes[0].photos[0].endswith(".png")  # stored under the type its bytes show
