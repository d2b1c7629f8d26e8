"""The protocol pieces against WeChat's published sample values, and every malformed envelope refused."""

from __future__ import annotations

import base64
import struct

import pytest

from bot.wechat.protocol import Crypto, Forged, Refused, check_signature, encrypt_element, parse_inbound, parse_xml
from tests.bot.wechat.wire import inner_xml

# The official account sample of WeChat's message encryption docs (WXBizMsgCrypt, 公众号): token "spamtest".
MP_TOKEN, MP_KEY, MP_APPID = "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
MP_TIMESTAMP, MP_NONCE, MP_MSG_SIGNATURE = "1409735669", "1320562132", "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
MP_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpb"
    "UAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn"
    "6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1Dl"
    "D+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
# The sample of the same algorithm with EncodingAESKey jWmYm7qr… and AppID wx5823bf96d3bd56c7 (token QDG6eK).
QY_TOKEN, QY_KEY, QY_APPID = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
QY_TIMESTAMP, QY_NONCE, QY_MSG_SIGNATURE = "1409659813", "1372623149", "477715d11cdb4164915debcba66cb864d751f3e6"
QY_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3T"
    "UUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsij"
    "ff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5w"
    "LVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZ"
    "Is2pDBS8R07+qN+E7Q=="
)


def test_published_sample_msg_signature_verifies_and_decrypts():
    check_signature(MP_TOKEN, MP_MSG_SIGNATURE, MP_TIMESTAMP, MP_NONCE, MP_ENCRYPT)
    inner = Crypto(MP_TOKEN, MP_KEY, MP_APPID).decrypt(MP_ENCRYPT)
    envelope = parse_inbound(inner)
    assert envelope.inbound.openid == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert envelope.inbound.content == "abcdteT"
    assert envelope.inbound.msg_id == "6054768590064713728"
    assert envelope.account == "gh_10f6c3c3ac5a"


def test_second_published_sample_with_the_jwmy_key_decrypts():
    check_signature(QY_TOKEN, QY_MSG_SIGNATURE, QY_TIMESTAMP, QY_NONCE, QY_ENCRYPT)
    inbound = parse_inbound(Crypto(QY_TOKEN, QY_KEY, QY_APPID).decrypt(QY_ENCRYPT)).inbound
    assert (inbound.openid, inbound.content, inbound.msg_id) == ("mycreate", "hello", "4561255354251345929")


def test_sample_with_a_changed_nonce_is_forged():
    with pytest.raises(Forged):
        check_signature(MP_TOKEN, MP_MSG_SIGNATURE, MP_TIMESTAMP, "1320562133", MP_ENCRYPT)


def test_sample_under_another_appid_is_refused():
    with pytest.raises(Refused, match="wrong_appid"):
        Crypto(MP_TOKEN, MP_KEY, "wx0000000000000000").decrypt(MP_ENCRYPT)


def test_our_encryption_is_readable_by_wechatpy():
    from wechatpy.crypto import WeChatCrypto

    crypto = Crypto(MP_TOKEN, MP_KEY, MP_APPID)
    envelope = crypto.encrypt("<xml><Content>你好</Content></xml>", "42", "1409735669")
    assert WeChatCrypto(MP_TOKEN, MP_KEY, MP_APPID).decrypt_message(
        envelope, parse_xml(envelope)["MsgSignature"], "1409735669", "42") == \
        "<xml><Content>你好</Content></xml>"


def _raw_cipher(plain: bytes) -> str:
    return base64.b64encode(Crypto(MP_TOKEN, MP_KEY, MP_APPID)._cipher.encrypt(plain)).decode()


@pytest.mark.parametrize("encrypted, reason", [
    ("not base64 !!", "bad_base64"),
    (MP_ENCRYPT[:-7], "bad_base64"),  # truncated mid-quantum
    (MP_ENCRYPT[:-8], "bad_ciphertext"),  # truncated to a partial AES block
    (base64.b64encode(b"x" * 30).decode(), "bad_ciphertext"),
])
def test_malformed_ciphertext_is_refused(encrypted, reason):
    with pytest.raises(Refused, match=reason):
        Crypto(MP_TOKEN, MP_KEY, MP_APPID).decrypt(encrypted)


def test_bad_padding_is_refused():
    body = b"0" * 16 + struct.pack(">I", 5) + b"<xml>" + MP_APPID.encode()
    body += bytes([7]) * (31 - len(body) % 32) + bytes([0])  # last byte 0: not PKCS#7
    with pytest.raises(Refused, match="bad_padding"):
        Crypto(MP_TOKEN, MP_KEY, MP_APPID).decrypt(_raw_cipher(body))


def test_length_beyond_the_plaintext_is_refused():
    body = b"0" * 16 + struct.pack(">I", 5000) + b"<xml/>" + MP_APPID.encode()
    pad = 32 - len(body) % 32
    with pytest.raises(Refused, match="bad_length"):
        Crypto(MP_TOKEN, MP_KEY, MP_APPID).decrypt(_raw_cipher(body + bytes([pad]) * pad))


BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Encrypt>&lol3;</Encrypt></xml>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>"""


@pytest.mark.parametrize("body", [BOMB, EXTERNAL, b"<!DOCTYPE xml><xml><Encrypt>a</Encrypt></xml>"])
def test_dtds_and_entities_are_refused_without_expansion(body):
    with pytest.raises(Refused, match="xml_forbidden"):
        encrypt_element(body)


@pytest.mark.parametrize("xml, reason", [
    (b"<xml><FromUserName>o1</FromUserName></xml>", "missing_field"),
    (b"<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>", "missing_field"),
    (b"<xml><FromUserName>o1</FromUserName><MsgType>event</MsgType><CreateTime>1</CreateTime></xml>",
     "missing_field"),
    (b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><CreateTime>x</CreateTime></xml>",
     "missing_field"),
    (b"<notxml/>", "xml_malformed"),
    (b"<xml><unclosed></xml>", "xml_malformed"),
    ("<xml><FromUserName>\u00e9</FromUserName></xml>".encode("latin-1"), "not_utf8"),
])
def test_incomplete_or_broken_inner_xml_is_refused(xml, reason):
    with pytest.raises(Refused, match=reason):
        parse_inbound(xml)


def test_every_inbound_type_is_parsed():
    cases = {
        "text": inner_xml("o1", content="报修"),
        "image": inner_xml("o1", "image", PicUrl="http://p", MediaId="m1"),
        "voice": inner_xml("o1", "voice", MediaId="m2", Format="amr", Recognition="厨房漏水"),
        "video": inner_xml("o1", "video", MediaId="m3", ThumbMediaId="t"),
        "shortvideo": inner_xml("o1", "shortvideo", MediaId="m4", ThumbMediaId="t"),
        "location": inner_xml("o1", "location", Location_X="31.2", Location_Y="121.5", Scale="15", Label="浦东"),
        "link": inner_xml("o1", "link", Title="通知", Description="d", Url="http://u"),
        "subscribe": inner_xml("o1", "event", Event="subscribe", EventKey="qrscene_bind"),
        "unsubscribe": inner_xml("o1", "event", Event="unsubscribe"),
        "SCAN": inner_xml("o1", "event", Event="SCAN", EventKey="bind", Ticket="t"),
        "CLICK": inner_xml("o1", "event", Event="CLICK", EventKey="REPAIR"),
        "VIEW": inner_xml("o1", "event", Event="VIEW", EventKey="http://m"),
        "LOCATION": inner_xml("o1", "event", Event="LOCATION", Latitude="31.2", Longitude="121.5", Precision="30"),
        "file": inner_xml("o1", "file", Title="a.pdf"),
    }
    got = {name: parse_inbound(xml).inbound for name, xml in cases.items()}
    assert got["text"].content == "报修" and got["text"].msg_id
    assert (got["image"].media_id, got["image"].pic_url) == ("m1", "http://p")
    assert (got["voice"].media_id, got["voice"].content) == ("m2", "厨房漏水")
    assert got["video"].media_id == "m3" and got["shortvideo"].msg_type == "shortvideo"
    assert got["location"].location.latitude == 31.2 and got["location"].location.label == "浦东"
    assert (got["link"].content, got["link"].url) == ("通知", "http://u")
    assert (got["subscribe"].event, got["subscribe"].event_key) == ("subscribe", "bind")
    assert got["unsubscribe"].event == "unsubscribe" and got["unsubscribe"].msg_id is None
    assert got["SCAN"].event_key == "bind"
    assert (got["CLICK"].event, got["CLICK"].event_key) == ("CLICK", "REPAIR")
    assert got["VIEW"].event_key == "http://m"
    assert got["LOCATION"].location.longitude == 121.5
    assert got["file"].msg_type == "file"
    assert got["CLICK"].dedup_key.startswith("evt:o1:")


@pytest.mark.parametrize("body, reason", [
    (b"<xml><Encrypt>&lol;</Encrypt></xml>", "xml_malformed"),  # an undeclared entity is never resolved
    (b"<other><Encrypt>a</Encrypt></other>", "xml_malformed"),
    (b"", "xml_malformed"),
    (b'<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://evil.test/x.dtd"><xml><Encrypt>a</Encrypt></xml>',
     "xml_forbidden"),
    (b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://evil.test/p">%p;]><xml/>', "xml_forbidden"),
])
def test_undeclared_entities_foreign_roots_and_external_dtds_are_refused(body, reason):
    with pytest.raises(Refused, match=reason):
        parse_xml(body)


def test_parser_keeps_first_level_text_cdata_and_predefined_entities():
    fields = parse_xml(b"<xml><A><![CDATA[x<y]]></A><B>1 &amp; 2</B><ScanCodeInfo><ScanType>qrcode</ScanType>"
                       b"<ScanResult>r</ScanResult></ScanCodeInfo></xml>")
    assert fields == {"A": "x<y", "B": "1 & 2", "ScanCodeInfo": "qrcoder"}


@pytest.mark.parametrize("parts", [
    (MP_TOKEN, MP_TIMESTAMP, MP_NONCE, MP_ENCRYPT),
    (QY_TOKEN, QY_TIMESTAMP, QY_NONCE),
    ("令牌", "1409735669", "随机", "Zz+/="),
])
def test_signature_agrees_with_wechatpys_signer(parts):
    from wechatpy.utils import WeChatSigner

    from bot.wechat.protocol import signature_of

    signer = WeChatSigner()
    signer.add_data(*parts)
    assert signature_of(*parts) == signer.signature
