"""Building what WeChat's servers send: signed query strings, plain and encrypted bodies (shared by the tests)."""

from __future__ import annotations

import re
import time
from itertools import count

from bot.wechat.protocol import Crypto, signature_of

TEST_TOKEN = "spamtest"
TEST_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TEST_APPID = "wx2c2769f8efd9abc2"
ACCOUNT = "gh_10f6c3c3ac5a"
_ids = count(6054768590064713728)


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def inner_xml(openid: str, msg_type: str = "text", *, content: str | None = None, msg_id: str | None = "auto",
              created: int | None = None, **fields: str) -> str:
    """An inbound message as WeChat writes it (CDATA for strings)."""
    parts = [f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>", f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
             f"<CreateTime>{created or int(time.time())}</CreateTime>", f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
    if content is not None:
        parts.append(f"<Content>{cdata(content)}</Content>")
    for name, value in fields.items():
        parts.append(f"<{name}>{cdata(value)}</{name}>")
    if msg_id == "auto":
        msg_id = None if msg_type == "event" else str(next(_ids))
    if msg_id:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def signed_params(token: str = TEST_TOKEN, *, timestamp: str | None = None, nonce: str = "1320562132") -> dict:
    timestamp = timestamp or str(int(time.time()))
    return {"signature": signature_of(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            "openid": "x"}


def plain_request(xml: str | bytes, token: str = TEST_TOKEN) -> tuple[dict, bytes]:
    return signed_params(token), xml.encode() if isinstance(xml, str) else xml


def encrypted_body(params: dict, encrypted: str, token: str = TEST_TOKEN) -> tuple[dict, bytes]:
    """A safe-mode request around any Encrypt text, correctly signed (to test what follows the signature)."""
    params = params | {"encrypt_type": "aes",
                       "msg_signature": signature_of(token, params["timestamp"], params["nonce"], encrypted)}
    return params, f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()


def encrypted_request(xml: str, *, token: str = TEST_TOKEN, aes_key: str = TEST_AES_KEY, appid: str = TEST_APPID,
                      compatible: bool = False) -> tuple[dict, bytes]:
    """A safe-mode POST: Encrypt (+ the plain fields in compatible mode) and msg_signature."""
    params = signed_params(token)
    envelope = Crypto(token, aes_key, appid).encrypt(xml, params["nonce"], params["timestamp"])
    encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope).group(1)
    params |= {"encrypt_type": "aes", "msg_signature": signature_of(token, params["timestamp"], params["nonce"],
                                                                    encrypted)}
    extra = xml[len("<xml>"):-len("</xml>")] if compatible else f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
    return params, f"<xml>{extra}<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()


def decrypt_reply(body: str, *, token: str = TEST_TOKEN, aes_key: str = TEST_AES_KEY, appid: str = TEST_APPID) -> str:
    """Check the reply's MsgSignature and return its inner XML, as WeChat does."""
    encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", body).group(1)
    signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", body).group(1)
    timestamp = re.search(r"<TimeStamp>(\d+)</TimeStamp>", body).group(1)
    nonce = re.search(r"<Nonce><!\[CDATA\[(.*?)\]\]></Nonce>", body).group(1)
    assert signature == signature_of(token, timestamp, nonce, encrypted)
    return Crypto(token, aes_key, appid).decrypt(encrypted).decode()
