"""The real app (create_app: the product's Bot and dialogs) behind /wechat in safe mode, as WeChat drives it."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from linli.app import create_app
from tests.bot.wechat.wire import decrypt_reply, encrypted_request, inner_xml
from workflows.bindings.models import WechatBinding
from workflows.bindings.service import BOUND_OPENIDS_KEY, BOUND_OPENIDS_LOADED, may_be_bound, verify_and_bind
from workflows.community.models import Household
from workflows.db import transaction


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


async def test_the_app_loads_the_may_be_bound_openids_at_start_and_knows_a_bound_owner(wsettings):
    app = create_app(wsettings)  # process loops only (run_workers_in_process is off in tests)
    runtime = app.state.runtime
    async with transaction(runtime.sessions) as session:  # bound before this process started
        household_id = await session.scalar(select(Household.id).where(Household.room == "1单元101",
                                                                       Household.community_id == 1))
        await verify_and_bind(session, openid="o-bound-earlier", household_id=household_id, name="张伟",
                              phone_last4="1234")
    async with app.router.lifespan_context(app):
        for _ in range(200):
            if (await runtime.state.in_set(BOUND_OPENIDS_KEY, [BOUND_OPENIDS_LOADED]))[0]:
                break
            await asyncio.sleep(0.01)
        assert await may_be_bound(runtime.state, openid="o-bound-earlier")
        assert not await may_be_bound(runtime.state, openid="o-newcomer")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli.test") as client:
            params, body = encrypted_request(inner_xml("o-bound-earlier", content="我的房屋"))
            listing = decrypt_reply((await client.post("/wechat", params=params, content=body)).text)
    assert "阳光花园 1栋1单元101（张伟）" in listing
