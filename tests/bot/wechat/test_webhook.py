"""The /wechat webhook end to end in-process: verification, plain and safe mode, and every refusal storing nothing."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time

import pytest

from bot.wechat.protocol import Crypto, parse_inbound
from bot.wechat.webhook import SUCCESS
from tests.bot.wechat.conftest import WECHAT, RecordingResponder, asgi_client, make_webhook_app, stored_counts
from tests.bot.wechat.test_protocol import BOMB, EXTERNAL
from tests.bot.wechat.wire import (
    TEST_AES_KEY,
    TEST_APPID,
    TEST_TOKEN,
    decrypt_reply,
    encrypted_body,
    encrypted_request,
    inner_xml,
    plain_request,
    signed_params,
)
from workflows.runtime import Runtime


@pytest.fixture
async def hook(wruntime):
    responder = RecordingResponder(wruntime)
    app, intake = make_webhook_app(wruntime, responder)
    async with asgi_client(app) as client:
        yield client, responder, wruntime


async def test_get_echostr_verification_echoes_only_when_signed(hook):
    client, _, _ = hook
    ok = await client.get("/wechat", params=signed_params() | {"echostr": "5837397520"})
    assert (ok.status_code, ok.text) == (200, "5837397520")
    forged = await client.get("/wechat", params=signed_params("other-token") | {"echostr": "5837397520"})
    assert forged.status_code == 403 and "5837397520" not in forged.text


async def test_plain_text_message_gets_a_passive_text_reply(hook):
    client, responder, _ = hook
    params, body = plain_request(inner_xml("owner-1", content="你好"))
    response = await client.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    assert "<Content><![CDATA[收到：你好]]></Content>" in response.text
    assert "<ToUserName><![CDATA[owner-1]]></ToUserName>" in response.text
    assert responder.calls[0].openid == "owner-1"


@pytest.mark.parametrize("compatible", [False, True])
async def test_safe_mode_round_trip_reply_is_encrypted_and_signed(hook, compatible):
    client, responder, _ = hook
    params, body = encrypted_request(inner_xml("owner-2", content="帮助 ]]> 😀"), compatible=compatible)
    response = await client.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    assert "收到" not in response.text  # nothing in clear
    inner = decrypt_reply(response.text)
    assert "<Content><![CDATA[收到：帮助 ]]]]><![CDATA[> 😀]]></Content>" in inner
    assert responder.calls[0].content == "帮助 ]]> 😀"


async def test_unsubscribe_gets_success_when_the_bot_has_nothing_to_say(wruntime):
    class Silent(RecordingResponder):
        async def respond(self, inbound):
            await super().respond(inbound)
            from bot.messages import Reply
            return Reply("")

    app, _ = make_webhook_app(wruntime, Silent(wruntime))
    async with asgi_client(app) as client:
        params, body = plain_request(inner_xml("owner-3", "event", Event="unsubscribe"))
        response = await client.post("/wechat", params=params, content=body)
    assert (response.status_code, response.text) == (200, SUCCESS)


def _tamper_msg_signature(params, body):
    return params | {"msg_signature": "0" * 40}, body


def _wrong_appid(params, body):
    return encrypted_request(inner_xml("owner-x", content="hi"), appid="wx0000000000000000")


def _truncated(params, body):
    text = body.decode()
    encrypted = text[text.index("<Encrypt><![CDATA[") + 18:text.index("]]></Encrypt>")]
    return encrypted_body(params, encrypted[:-7])


CASES = {
    "forged signature": (lambda p, b: (p | {"signature": "f" * 40}, b), 403, "bad_signature"),
    "missing signature": (lambda p, b: ({k: v for k, v in p.items() if k != "signature"}, b), 403, "missing_signature"),
    "forged msg_signature": (_tamper_msg_signature, 403, "bad_signature"),
    "wrong appid": (_wrong_appid, 400, "wrong_appid"),
    "truncated base64": (_truncated, 400, "bad_base64"),
    "no Encrypt element": (lambda p, b: (p, b"<xml><ToUserName>x</ToUserName></xml>"), 400, "missing_encrypt"),
    "xml bomb": (lambda p, b: (p, BOMB), 400, "xml_forbidden"),
    "external entity": (lambda p, b: (p, EXTERNAL), 400, "xml_forbidden"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_safe_mode_requests_are_refused_and_store_nothing(hook, case):
    client, responder, runtime = hook
    before = await stored_counts(runtime)
    tamper, status, reason = CASES[case]
    params, body = tamper(*encrypted_request(inner_xml("owner-bad", content="报修")))
    response = await client.post("/wechat", params=params, content=body)
    assert response.status_code == status, response.text
    assert response.text == reason
    assert responder.calls == []
    assert await stored_counts(runtime) == before
    assert runtime.state._values == {}


@pytest.mark.parametrize("xml, status", [
    (b"<xml><FromUserName>o</FromUserName></xml>", 400),  # missing fields
    ("<xml><FromUserName>\u00e9</FromUserName><MsgType>text</MsgType></xml>".encode("latin-1"), 400),  # not UTF-8
    (BOMB, 400),
    (b"\x00\x01 not xml", 400),
])
async def test_bad_plain_bodies_are_refused_and_store_nothing(hook, xml, status):
    client, responder, runtime = hook
    before = await stored_counts(runtime)
    response = await client.post("/wechat", params=signed_params(), content=xml)
    assert response.status_code == status
    assert responder.calls == [] and await stored_counts(runtime) == before and runtime.state._values == {}


async def test_encrypted_non_utf8_inner_message_is_refused(hook):
    client, responder, runtime = hook
    data = "<xml><FromUserName>\u00e9</FromUserName></xml>".encode("latin-1")
    framed = os.urandom(16) + struct.pack(">I", len(data)) + data + TEST_APPID.encode()
    pad = 32 - len(framed) % 32
    crypto = Crypto(TEST_TOKEN, TEST_AES_KEY, TEST_APPID)
    encrypted = base64.b64encode(crypto._cipher.encrypt(framed + bytes([pad]) * pad)).decode()
    params, body = encrypted_body(signed_params(), encrypted)
    response = await client.post("/wechat", params=params, content=body)
    assert response.status_code == 400 and response.text == "not_utf8"
    assert responder.calls == [] and runtime.state._values == {}


async def test_oversized_body_is_refused_with_413_by_header_and_by_stream(hook):
    client, responder, runtime = hook
    limit = runtime.settings.wechat_max_body_bytes
    params, _ = plain_request("")
    big = b"<xml>" + b"a" * limit + b"</xml>"
    assert (await client.post("/wechat", params=params, content=big)).status_code == 413

    async def chunks():  # no Content-Length: chunked upload that lies by omission
        for _ in range(limit // 1000 + 2):
            yield b"a" * 1000

    assert (await client.post("/wechat", params=params, content=chunks())).status_code == 413
    assert responder.calls == [] and runtime.state._values == {}


async def test_every_inbound_type_reaches_the_bot_and_gets_an_answer(hook):
    client, responder, _ = hook
    bodies = [inner_xml("o-types", "image", PicUrl="http://p", MediaId="m1"),
              inner_xml("o-types", "voice", MediaId="m2", Recognition="漏水"),
              inner_xml("o-types", "location", Location_X="31.2", Location_Y="121.5", Label="x"),
              inner_xml("o-types", "link", Title="t", Url="http://u"),
              inner_xml("o-types", "event", Event="CLICK", EventKey="REPAIR", created=1700000001),
              inner_xml("o-types", "miniprogrampage", Title="x")]
    for xml in bodies:
        params, body = encrypted_request(xml)
        response = await client.post("/wechat", params=params, content=body)
        assert response.status_code == 200 and "收到" in decrypt_reply(response.text)
    assert [c.msg_type for c in responder.calls] == ["image", "voice", "location", "link", "event",
                                                     "miniprogrampage"]


async def test_two_messages_of_one_owner_run_one_at_a_time_in_order(any_runtime):
    settings = any_runtime.settings.model_copy(update=WECHAT)
    wruntime = Runtime(settings=settings, engine=any_runtime.engine, sessions=any_runtime.sessions,
                       state=any_runtime.state)  # SQLite + in-process store, and PostgreSQL + Redis
    order: list[str] = []
    first_inside = asyncio.Event()
    second_xml = inner_xml("o-seq", content="2")
    second_claimed = "dedup:" + parse_inbound(second_xml.encode()).inbound.dedup_key

    class Slow(RecordingResponder):
        async def respond(self, inbound):
            order.append("start " + inbound.content)
            if inbound.content == "1":  # hold the lock until the second message has arrived and waits for it
                first_inside.set()
                for _ in range(1000):
                    if await wruntime.state.get(second_claimed) is not None:
                        break
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.02)
            order.append("end " + inbound.content)
            return await super().respond(inbound)

    app, _ = make_webhook_app(wruntime, Slow(wruntime))
    async with asgi_client(app) as client:
        first = plain_request(inner_xml("o-seq", content="1"))
        second = plain_request(second_xml)
        task = asyncio.create_task(client.post("/wechat", params=first[0], content=first[1]))
        # The second message is sent once the first is being answered: sent a fixed 10 ms later, it could reach the
        # state store first on a loaded machine, and then it rightly goes first.
        await asyncio.wait_for(first_inside.wait(), 10)
        await client.post("/wechat", params=second[0], content=second[1])
        await task
    assert order == ["start 1", "end 1", "start 2", "end 2"]


async def test_safe_mode_without_a_configured_key_is_refused(wruntime):
    settings = wruntime.settings.model_copy(update={"wechat_aes_key": ""})
    runtime = Runtime(settings=settings, engine=wruntime.engine, sessions=wruntime.sessions, state=wruntime.state)
    responder = RecordingResponder(runtime)
    app, _ = make_webhook_app(runtime, responder)
    async with asgi_client(app) as client:
        params, body = encrypted_request(inner_xml("o-k", content="hi"))
        response = await client.post("/wechat", params=params, content=body)
    assert (response.status_code, response.text) == (400, "safe_mode_not_configured") and responder.calls == []


async def test_bad_padding_inside_a_signed_envelope_is_refused(hook):
    client, responder, runtime = hook
    body = b"0" * 16 + struct.pack(">I", 6) + b"<xml/>" + TEST_APPID.encode()
    body += bytes([9]) * (31 - len(body) % 32) + bytes([3])  # claims 3 bytes of padding that are not 3s
    encrypted = base64.b64encode(Crypto(TEST_TOKEN, TEST_AES_KEY, TEST_APPID)._cipher.encrypt(body)).decode()
    params, envelope = encrypted_body(signed_params(), encrypted)
    response = await client.post("/wechat", params=params, content=envelope)
    assert (response.status_code, response.text) == (400, "bad_padding") and responder.calls == []
    assert runtime.state._values == {}


async def test_a_signed_request_with_a_day_old_timestamp_is_refused(hook):
    """Finding 6: replay is not stopped only while the MsgId is remembered — an old timestamp is refused."""
    client, responder, wruntime = hook
    day_old = str(int(time.time()) - 86400)
    response = await client.post("/wechat", params=signed_params(timestamp=day_old),
                                 content=inner_xml("owner-replay", content="你好").encode())
    assert response.status_code == 403 and response.text == "stale_timestamp"
    assert responder.calls == []
    future = str(int(time.time()) + 86400)
    assert (await client.get("/wechat", params=signed_params(timestamp=future) | {"echostr": "1"})).status_code == 403
    fresh = await client.post("/wechat", params=signed_params(timestamp=str(int(time.time()) - 60)),
                              content=inner_xml("owner-replay", content="你好").encode())
    assert fresh.status_code == 200
