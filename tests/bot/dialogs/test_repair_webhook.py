"""报修 over the real /wechat endpoint in safe mode: a WeChat location for a public area, and the confirming message
delivered twice by WeChat's retry (same MsgId) and once more under a new MsgId: one ticket."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from linli.app import create_app
from tests.bot.wechat.conftest import wechat_settings
from tests.bot.wechat.wire import decrypt_reply, encrypted_request, inner_xml
from workflows.repairs.models import RepairTicket

OWNER = "o-webhook-repair-owner"


@pytest.fixture
def wsettings(tmp_path, sqlite_template):
    return wechat_settings(tmp_path, sqlite_template)


async def test_a_public_area_repair_reported_over_the_webhook_is_stored_once(wsettings):
    app = create_app(wsettings, start_loops=False)
    runtime = app.state.runtime

    async def send(client: httpx.AsyncClient, xml: str) -> str:
        params, body = encrypted_request(xml)
        response = await client.post("/wechat", params=params, content=body)
        assert response.status_code == 200
        return decrypt_reply(response.text) if response.text.strip() not in ("", "success") else ""

    replies: list[str] = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli.test") as client:
            for line in ("绑定房屋", "1", "1", "1单元101", "张伟", "1234", "报修", "2"):
                replies.append(await send(client, inner_xml(OWNER, content=line)))
            replies.append(await send(client, inner_xml(OWNER, "location", Location_X="31.2209", Location_Y="121.5441",
                                                        Scale="16", Label="上海市浦东新区阳光路88号")))
            for line in ("公共设施", "3栋门口路灯不亮", "跳过"):  # the bound owner's phone is known: not asked
                replies.append(await send(client, inner_xml(OWNER, content=line)))
            confirm = inner_xml(OWNER, content="1", msg_id="7000000000000000001")
            replies.append(await send(client, confirm))
            await send(client, confirm)  # WeChat's retry of the same message
            replies.append(await send(client, inner_xml(OWNER, content="1")))
        async with runtime.sessions() as session:
            tickets = list(await session.scalars(select(RepairTicket).where(RepairTicket.openid == OWNER)))
    finally:
        await app.state.bot.transcript.stop()
        await app.state.wechat_api.close()
        await runtime.close()
    assert "微信位置" in replies[7]
    assert "哪一类" in replies[8]
    assert "描述" in replies[9]
    assert "请确认报修信息" in replies[11] and "阳光路88号" in replies[11]  # a public area asks no visit time
    assert "联系电话：13800001234" in replies[11]
    assert "已提交报修，单号 BX-" in replies[12]
    assert len(tickets) == 1 and tickets[0].public_area and tickets[0].latitude == 31.2209
    assert tickets[0].contact_phone == "13800001234"
