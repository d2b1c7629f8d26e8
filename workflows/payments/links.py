"""The payment link (缴费链接): signed for one openid and those bills at that total, expiring. Editing any part of
it breaks the signature; the page refuses it, and refuses it for another openid."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LINK_TTL_S = 30 * 60
SALT = "linli-pay-link"


class LinkRefused(ValueError):
    """Forged, edited, expired, or opened by someone else."""


@dataclass(frozen=True)
class PayLink:
    openid: str
    bill_ids: tuple[int, ...]
    total_fen: int


def make_pay_token(secret: str, *, openid: str, bill_ids: list[int], total_fen: int) -> str:
    serializer = URLSafeTimedSerializer(secret, salt=SALT)
    return serializer.dumps({"o": openid, "b": sorted(bill_ids), "t": total_fen})


def read_pay_token(secret: str, token: str, *, viewer_openid: str | None = None,
                   max_age_s: int = LINK_TTL_S) -> PayLink:
    """The link's contents, or LinkRefused; `viewer_openid` (from WeChat's page authorisation, when the page
    has it) must be the openid the link was made for."""
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise LinkRefused("expired") from None
    except BadSignature:
        raise LinkRefused("bad signature") from None
    try:
        link = PayLink(openid=str(data["o"]), bill_ids=tuple(int(b) for b in data["b"]), total_fen=int(data["t"]))
    except (KeyError, TypeError, ValueError):
        raise LinkRefused("malformed") from None
    if viewer_openid is not None and viewer_openid != link.openid:
        raise LinkRefused("another openid")
    return link
