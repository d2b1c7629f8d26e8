"""Visitor pass QR codes as PNG files under the media folder (segno: pure Python, no Pillow). The outbox row carries
the path; WeChat delivery uploads it as temporary media, `linli chat` prints where it is."""

from __future__ import annotations

from pathlib import Path

import segno


def save_pass_qr(media_dir: str, *, number: str, token: str) -> str:
    """Write the token's QR code to {media_dir}/passes/{number}.png and return the path relative to media_dir."""
    relative = Path("passes") / f"{number}.png"
    target = Path(media_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    segno.make(token, error="m").save(str(target), kind="png", scale=8, border=4)
    return relative.as_posix()
