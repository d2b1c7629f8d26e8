"""The real app (create_app: the product's Bot and dialogs) behind /wechat in safe mode, as WeChat drives it."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from linli.app import create_app
from tests.bot.wechat.wire import decrypt_reply, encrypted_request, inner_xml
from workflows.bindings.models import WechatBinding


async def test_owner_binds_a_flat_over_encrypted_webhook_and_metrics_count_it(wsettings):
    app = create_app(wsettings, start_loops=False)
    runtime = app.state.runtime
    transport = httpx.ASGITransport(app=app)
    replies = []
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://linli.test") as client:
            subscribe = encrypted_request(inner_xml("o-real-owner", "event", Event="subscribe"))
            response = await client.post("/wechat", params=subscribe[0], content=subscribe[1])
            replies.append(decrypt_reply(response.text))
            for line in ("绑定房屋", "1", "1", "1单元101", "张伟", "1234", "我的房屋"):
                params, body = encrypted_request(inner_xml("o-real-owner", content=line))
                response = await client.post("/wechat", params=params, content=body)
                assert response.status_code == 200
                replies.append(decrypt_reply(response.text))
            metrics = (await client.get("/metrics")).text
        async with runtime.sessions() as session:
            bound = await session.scalar(select(func.count()).select_from(WechatBinding)
                                         .where(WechatBinding.openid == "o-real-owner"))
    finally:
        await app.state.bot.transcript.stop()
        await app.state.wechat_api.close()
        await runtime.close()
    assert "绑定" in replies[0]  # the welcome invites to bind
    assert "阳光花园" in replies[1]
    assert "绑定成功：阳光花园 1栋1单元101" in replies[6]
    assert "1栋1单元101" in replies[7]
    assert bound == 1
    assert 'linli_wechat_messages_received_total{type="text"}' in metrics
    assert 'linli_wechat_replies_total{way="passive"}' in metrics
