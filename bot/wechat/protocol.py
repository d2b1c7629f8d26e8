"""WeChat's callback protocol: signatures, safe-mode (AES) envelopes, inbound XML -> Inbound, Reply -> XML.

Every check that can refuse a request runs before anything is handed to the bot. Crypto is wechatpy's
(signature sorting + SHA-1, AES-256-CBC cipher); padding and framing are checked strictly here, because wechatpy's
own decrypt accepts malformed padding. XML is parsed by defusedxml with DTDs, entities and external references
forbidden, so a bomb is refused before it can expand.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random
import struct
import time
from dataclasses import dataclass
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from wechatpy.crypto.cryptography import WeChatCipher

from bot.messages import Inbound, Location

EVENTS = {"subscribe", "unsubscribe", "SCAN", "CLICK", "VIEW", "LOCATION"}


class Refused(Exception):
    """A request the webhook refuses; `status` is the HTTP status and `reason` the metrics label."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forged(Refused):
    status = 403


class TooLarge(Refused):
    status = 413


def signature_of(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted, concatenated parts.

    The same computation as wechatpy's WeChatSigner (sorting str by code point equals sorting their UTF-8 bytes),
    without its per-part conversions; tests/bot/wechat/test_protocol.py checks both agree on the published samples.
    """
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_timestamp(timestamp: str | None, max_age_s: int, now: float | None = None) -> None:
    """Raise Forged unless the signed timestamp is within max_age_s of now: a captured request cannot be replayed
    after its MsgId has left the dedup store."""
    if not timestamp or not timestamp.isdigit():
        raise Forged("missing_signature")
    if abs((time.time() if now is None else now) - int(timestamp)) > max_age_s:
        raise Forged("stale_timestamp")


def check_signature(token: str, signature: str | None, timestamp: str | None, nonce: str | None,
                    *extra: str) -> None:
    """Raise Forged unless `signature` signs token, timestamp, nonce (and, for msg_signature, the Encrypt text)."""
    if not signature or not timestamp or not nonce:
        raise Forged("missing_signature")
    expected = signature_of(token, timestamp, nonce, *extra)
    if not hmac.compare_digest(expected, signature.lower()):
        raise Forged("bad_signature")


def _forbid_dtd(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name: str, *args: object) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> None:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


class _FlatReader:
    """Collects the text under each child of the root <xml> element (expat callbacks)."""

    __slots__ = ("fields", "depth", "parts")

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.depth = 0
        self.parts: list[str] = []

    def start(self, tag: str, attrs: object) -> None:
        depth = self.depth
        if depth == 0 and tag != "xml":
            raise Refused("xml_malformed")
        if depth == 1:
            self.parts = []
        self.depth = depth + 1

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.depth == 1:
            self.fields.setdefault(tag, "".join(self.parts))

    def text(self, data: str) -> None:
        if self.depth >= 2:
            self.parts.append(data)


def parse_xml(body: bytes | str) -> dict[str, str]:
    """Parse untrusted WeChat XML into {child tag: text} (WeChat's messages are one flat <xml> element).

    The policy is defusedxml's (its exceptions, its rules: no DTD, no entity declarations, no external references,
    no parameter entities), applied directly on an expat parser that keeps only the first level's text: no tree is
    built, nothing is expanded. Nested elements (e.g. ScanCodeInfo) contribute their leaves' text under their tag.
    """
    reader = _FlatReader()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    try:
        parser.Parse(body, True)
    except DefusedXmlException as exc:
        raise Refused("xml_forbidden") from exc
    except (expat.ExpatError, ValueError) as exc:
        raise Refused("xml_malformed") from exc
    return reader.fields


def encrypt_element(body: bytes) -> str:
    """The <Encrypt> text of a safe-mode envelope (compatible mode carries plain fields beside it; ignored)."""
    value = parse_xml(body).get("Encrypt", "").strip()
    if not value:
        raise Refused("missing_encrypt")
    return value


class Crypto:
    """Safe-mode (AES) messages for one account: AES-256-CBC, key from EncodingAESKey, IV the key's first 16 bytes,
    plaintext = 16 random bytes + 4-byte length + XML + appid, PKCS#7 padded to 32 bytes."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        key = base64.b64decode(encoding_aes_key + "=")
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 characters")
        self.token, self.appid = token, appid
        self._appid_bytes = appid.encode()
        self._cipher = WeChatCipher(key)

    def decrypt(self, encrypted: str) -> bytes:
        """The inner XML as bytes; Refused on bad base64, padding, framing or a foreign appid."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Refused("bad_base64") from exc
        if not raw or len(raw) % 16:
            raise Refused("bad_ciphertext")
        plain = self._cipher.decrypt(raw)
        pad = plain[-1]
        if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
            raise Refused("bad_padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise Refused("bad_length")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise Refused("bad_length")
        if content[4 + length:] != self._appid_bytes:
            raise Refused("wrong_appid")
        return content[4:4 + length]

    def encrypt(self, xml: str, nonce: str, timestamp: str | None = None) -> str:
        """A safe-mode reply envelope: Encrypt, MsgSignature, TimeStamp, Nonce."""
        data = xml.encode()
        # 16 bytes of framing that randomise the first block (WeChat's fixed IV); WeChat's SDKs and wechatpy use a
        # non-cryptographic generator here too: the secrecy is the key's.
        framed = random.randbytes(16) + struct.pack(">I", len(data)) + data + self._appid_bytes
        pad = 32 - len(framed) % 32
        encrypted = base64.b64encode(self._cipher.encrypt(framed + bytes([pad]) * pad)).decode()
        timestamp = timestamp or str(int(time.time()))
        signature = signature_of(self.token, timestamp, nonce, encrypted)
        return (f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature>"
                f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>")


def _text(root: dict[str, str], name: str) -> str:
    return root.get(name, "").strip()


def _float(root: dict[str, str], name: str) -> float:
    try:
        return float(_text(root, name))
    except ValueError as exc:
        raise Refused("bad_field") from exc


@dataclass(frozen=True)
class Envelope:
    inbound: Inbound
    account: str  # ToUserName: the official account's id (gh_…), the reply's FromUserName


def parse_inbound(xml: bytes | str) -> Envelope:
    """Inbound XML (plain, or decrypted) -> Inbound; missing FromUserName/MsgType/CreateTime is a 400."""
    if isinstance(xml, bytes):
        try:
            xml.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refused("not_utf8") from exc
    root = parse_xml(xml)
    openid, msg_type, created = _text(root, "FromUserName"), _text(root, "MsgType"), _text(root, "CreateTime")
    if not openid or not msg_type or not created.isdigit() or len(openid) > 64:
        raise Refused("missing_field")
    common = {"openid": openid, "created_at": int(created), "msg_id": _text(root, "MsgId") or None}
    inbound = _by_type(root, msg_type, common)
    return Envelope(inbound=inbound, account=_text(root, "ToUserName"))


def _by_type(root: dict[str, str], msg_type: str, common: dict) -> Inbound:
    if msg_type == "text":
        return Inbound(msg_type="text", content=root.get("Content", ""), **common)
    if msg_type == "image":
        return Inbound(msg_type="image", media_id=_text(root, "MediaId"), pic_url=_text(root, "PicUrl"), **common)
    if msg_type == "voice":
        return Inbound(msg_type="voice", media_id=_text(root, "MediaId"), content=_text(root, "Recognition"),
                       **common)
    if msg_type in ("video", "shortvideo"):
        return Inbound(msg_type=msg_type, media_id=_text(root, "MediaId"), **common)
    if msg_type == "location":
        location = Location(latitude=_float(root, "Location_X"), longitude=_float(root, "Location_Y"),
                            label=_text(root, "Label"))
        return Inbound(msg_type="location", location=location, **common)
    if msg_type == "link":
        return Inbound(msg_type="link", content=_text(root, "Title"), url=_text(root, "Url"), **common)
    if msg_type == "event":
        event = _text(root, "Event")
        if not event:
            raise Refused("missing_field")
        location = None
        if event == "LOCATION":
            location = Location(latitude=_float(root, "Latitude"), longitude=_float(root, "Longitude"))
        key = _text(root, "EventKey") or None
        if event == "subscribe" and key and key.startswith("qrscene_"):
            key = key[len("qrscene_"):]
        return Inbound(msg_type="event", event=event, event_key=key, location=location, **common)
    # Anything newer (miniprogrampage, file, …) still reaches the bot, which answers politely.
    return Inbound(msg_type=msg_type[:20], content=_text(root, "Content"), **common)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(*, to_openid: str, account: str, text: str, now: int | None = None) -> str:
    """A passive text reply."""
    return (f"<xml><ToUserName>{_cdata(to_openid)}</ToUserName><FromUserName>{_cdata(account)}</FromUserName>"
            f"<CreateTime>{now or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{_cdata(text)}</Content></xml>")
