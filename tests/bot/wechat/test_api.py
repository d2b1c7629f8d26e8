"""The access token (shared, cached, refreshed) and the API calls, against the local fake of WeChat's server."""

from __future__ import annotations

import asyncio

import pytest

from bot.wechat.api import TOKEN_KEY, WeChatApi, WeChatApiError
from tests.bot.wechat.conftest import api_settings
from workflows.statestore import make_state_store


async def test_two_clients_share_one_token_fetch(wsettings, fake_wechat_api):
    settings = api_settings(wsettings, fake_wechat_api)
    fake_wechat_api.token_delay_s = 0.05  # both workers ask while the first fetch is in flight
    state = make_state_store("")
    first, second = WeChatApi(settings, state), WeChatApi(settings, state)
    try:
        await asyncio.gather(first.send_text(openid="o1", text="一"), second.send_text(openid="o2", text="二"))
        await first.send_text(openid="o1", text="三")
    finally:
        await first.close()
        await second.close()
    assert fake_wechat_api.token_fetches == 1
    assert sorted(s["text"]["content"] for s in fake_wechat_api.custom_sends) == sorted(["一", "二", "三"])
    assert await state.get(TOKEN_KEY) in fake_wechat_api.valid_tokens


async def test_token_shared_across_workers_through_real_redis(wsettings, fake_wechat_api, redis_url, redis_prefix):
    settings = api_settings(wsettings, fake_wechat_api)
    fake_wechat_api.token_delay_s = 0.05
    states = [make_state_store(redis_url, redis_prefix) for _ in range(3)]
    apis = [WeChatApi(settings, state) for state in states]
    try:
        await asyncio.gather(*(api.send_text(openid=f"o{i}", text="你好") for i, api in enumerate(apis)))
        await states[0].delete(TOKEN_KEY)
    finally:
        for api, state in zip(apis, states, strict=True):
            await api.close()
            await state.close()
    assert fake_wechat_api.token_fetches == 1 and len(fake_wechat_api.custom_sends) == 3


async def test_invalid_token_40001_is_refreshed_once_and_the_call_retried(wsettings, fake_wechat_api):
    api = WeChatApi(api_settings(wsettings, fake_wechat_api), make_state_store(""))
    try:
        await api.send_text(openid="o1", text="第一条")
        fake_wechat_api.expire_token()
        await api.send_text(openid="o1", text="第二条")
    finally:
        await api.close()
    assert fake_wechat_api.token_fetches == 2
    assert [s["text"]["content"] for s in fake_wechat_api.custom_sends] == ["第一条", "第二条"]


async def test_closed_window_is_a_permanent_error(wsettings, fake_wechat_api):
    fake_wechat_api.closed_window.add("o-gone")
    api = WeChatApi(api_settings(wsettings, fake_wechat_api), make_state_store(""))
    try:
        with pytest.raises(WeChatApiError) as error:
            await api.send_text(openid="o-gone", text="你好")
    finally:
        await api.close()
    assert error.value.errcode == 45015 and error.value.permanent


async def test_server_error_is_transient_and_wrong_secret_permanent(wsettings, fake_wechat_api):
    fake_wechat_api.fail_http(1)
    api = WeChatApi(api_settings(wsettings, fake_wechat_api), make_state_store(""))
    wrong = WeChatApi(api_settings(wsettings, fake_wechat_api).model_copy(update={"wechat_app_secret": "x"}),
                      make_state_store(""))
    try:
        with pytest.raises(WeChatApiError) as transient:
            await api.send_text(openid="o1", text="你好")
        with pytest.raises(WeChatApiError) as permanent:
            await wrong.send_text(openid="o1", text="你好")
    finally:
        await api.close()
        await wrong.close()
    assert not transient.value.permanent and permanent.value.errcode == 40125 and permanent.value.permanent


async def test_template_menu_and_media_calls_speak_wechats_json(wsettings, fake_wechat_api):
    fake_wechat_api.media["MEDIA1"] = (b"\xff\xd8jpeg", "image/jpeg")
    api = WeChatApi(api_settings(wsettings, fake_wechat_api), make_state_store(""))
    try:
        await api.send_template(openid="o1", template_id="TPL", data={"first": "您好", "remark": {"value": "谢谢"}},
                                url="https://example.test/x")
        await api.create_menu({"button": [{"type": "click", "name": "报修", "key": "REPAIR"}]})
        media = await api.get_media("MEDIA1")
        with pytest.raises(WeChatApiError) as missing:
            await api.get_media("NOPE")
    finally:
        await api.close()
    assert fake_wechat_api.template_sends[0]["data"] == {"first": {"value": "您好"}, "remark": {"value": "谢谢"}}
    assert fake_wechat_api.menus[0]["button"][0]["key"] == "REPAIR"
    assert (media.data, media.content_type) == (b"\xff\xd8jpeg", "image/jpeg")
    assert missing.value.errcode == 40007 and missing.value.permanent
