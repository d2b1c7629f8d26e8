"""Finding 6: headers on /admin (CSP with frame-ancestors, nosniff), /metrics for the scraper only, production
refusing the dev secret and the sample WeChat keys."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from linli.app import create_app
from tests.services import test_settings
from workflows.runtime import Runtime


async def _get(runtime: Runtime, url: str, *, client_host: str = "127.0.0.1", headers: dict | None = None):
    app = create_app(runtime=runtime, start_loops=False)
    transport = httpx.ASGITransport(app=app, client=(client_host, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://linli") as client:
        return await client.get(url, headers=headers or {})


async def test_admin_pages_cannot_be_framed_and_say_nosniff(runtime):
    response = await _get(runtime, "/admin/login")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy and "object-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    static = await _get(runtime, "/admin/static/htmx.min.js")
    assert static.headers["x-content-type-options"] == "nosniff"


async def test_metrics_are_refused_to_strangers(runtime):
    assert (await _get(runtime, "/metrics")).status_code == 200  # localhost, no token configured
    assert (await _get(runtime, "/metrics", client_host="203.0.113.9")).status_code == 403


async def test_metrics_with_a_token_need_it_from_anywhere(tmp_path, sqlite_template):
    from tests.services import copy_sqlite

    settings = test_settings(tmp_path, database_url=copy_sqlite(sqlite_template, tmp_path),
                             metrics_token="scrape-token-123")
    runtime = Runtime.from_settings(settings)
    try:
        assert (await _get(runtime, "/metrics")).status_code == 403
        wrong = {"Authorization": "Bearer nope"}
        assert (await _get(runtime, "/metrics", client_host="10.0.0.5", headers=wrong)).status_code == 403
        right = {"Authorization": "Bearer scrape-token-123"}
        ok = await _get(runtime, "/metrics", client_host="10.0.0.5", headers=right)
        assert ok.status_code == 200 and "linli" in ok.text
    finally:
        await runtime.close()


@pytest.mark.parametrize("override", [
    {},  # every dev default
    {"wechat_token": "a-real-token-9f83", "wechat_appid": "wx1234567890abcdef"},  # the dev secret_key
    {"secret_key": "x" * 48, "wechat_appid": "wx1234567890abcdef"},  # the dev WeChat token
    {"secret_key": "x" * 48, "wechat_token": "a-real-token-9f83"},  # the sample appid
    {"secret_key": "short", "wechat_token": "a-real-token-9f83", "wechat_appid": "wx1234567890abcdef"},
])
def test_production_refuses_dev_secrets_and_sample_wechat_keys(tmp_path, override):
    with pytest.raises(ValidationError):
        test_settings(tmp_path, env="production", **{"secret_key": "linli-dev-secret-change-me", **override})


def test_production_starts_with_real_values(tmp_path):
    settings = test_settings(tmp_path, env="production", secret_key="k" * 48, wechat_token="a-real-token-9f83",
                             wechat_appid="wx1234567890abcdef")
    assert settings.env == "production"
