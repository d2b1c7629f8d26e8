"""The webhook is served ahead of the middleware stack, and only for the methods WeChat uses."""

import httpx

from linli.app import create_app


async def test_webhook_is_a_fast_path_and_other_methods_still_get_405(runtime):
    app = create_app(runtime=runtime, start_loops=False)
    assert set(app.fast_paths) == {"/wechat"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli") as client:
        forged = await client.post("/wechat?signature=forged&timestamp=1&nonce=2", content=b"<xml></xml>")
        put = await client.put("/wechat", content=b"<xml></xml>")
        health = await client.get("/healthz")
    assert forged.status_code == 403
    assert put.status_code == 405
    assert health.status_code == 200
