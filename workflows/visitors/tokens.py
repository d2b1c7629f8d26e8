"""Signed, expiring pass tokens (the QR content) and backup codes (备用码).

A token is `LP1.{pass id}.{from}.{until}.{nonce}.{mac}`: epoch seconds of the window, a random nonce and an HMAC-SHA256
over the rest, so it cannot be guessed or altered; a bare number never opens anything. The backup code is 8 digits
from `secrets`; only HMAC(key, community:code) is stored, so a leaked table does not give codes away.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

PREFIX = "LP1"
CODE_DIGITS = 8


@dataclass(frozen=True)
class TokenClaims:
    pass_id: int
    valid_from: datetime
    valid_until: datetime
    nonce: str


class BadToken(ValueError):
    """Not a token we signed (malformed, or the signature does not match)."""


def pass_key(*, secret_key: str, visitor_pass_secret: str = "") -> bytes:
    """The HMAC key: LINLI_VISITOR_PASS_SECRET, or one derived from LINLI_SECRET_KEY for this purpose only."""
    if visitor_pass_secret:
        return visitor_pass_secret.encode()
    return hmac.new(secret_key.encode(), b"linli visitor passes", hashlib.sha256).digest()


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def sign(key: bytes, claims: TokenClaims) -> str:
    body = (f"{PREFIX}.{claims.pass_id}.{int(claims.valid_from.timestamp())}.{int(claims.valid_until.timestamp())}"
            f".{claims.nonce}")
    return f"{body}.{_mac(key, body)}"


def verify(key: bytes, token: str) -> TokenClaims:
    """The claims of a token we signed; BadToken otherwise (the window is checked by the caller)."""
    parts = token.strip().split(".")
    if len(parts) != 6 or parts[0] != PREFIX or len(token) > 200:
        raise BadToken("malformed")
    body, mac = ".".join(parts[:5]), parts[5]
    if not hmac.compare_digest(_mac(key, body), mac):
        raise BadToken("signature")
    try:
        pass_id, start, end = int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError as exc:
        raise BadToken("malformed") from exc
    return TokenClaims(pass_id=pass_id, valid_from=datetime.fromtimestamp(start, UTC),
                       valid_until=datetime.fromtimestamp(end, UTC), nonce=parts[4])


def new_backup_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(key: bytes, *, community_id: int, code: str) -> str:
    return hmac.new(key, f"code:{community_id}:{code}".encode(), hashlib.sha256).hexdigest()


def looks_like_code(text: str) -> bool:
    return 6 <= len(text) <= 8 and text.isdigit()
