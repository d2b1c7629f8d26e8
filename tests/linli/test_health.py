"""/healthz really checks the database and the state store; /metrics speaks Prometheus' text format."""

import httpx

from linli.app import create_app
from tests.services import test_settings
from workflows.runtime import Runtime


async def _get(runtime: Runtime, path: str) -> httpx.Response:
    app = create_app(runtime=runtime, start_loops=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli") as client:
        return await client.get(path)


async def test_healthz_reports_ok_when_database_and_state_store_answer(any_runtime):
    response = await _get(any_runtime, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "state_store": "ok"}


async def test_healthz_reports_a_state_store_outage(tmp_path, settings):
    broken = test_settings(tmp_path, database_url=settings.database_url, redis_url="redis://127.0.0.1:1/0")
    runtime = Runtime.from_settings(broken)
    try:
        response = await _get(runtime, "/healthz")
    finally:
        await runtime.close()
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["state_store"].startswith("error")


async def test_metrics_are_prometheus_text(runtime):
    response = await _get(runtime, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in response.text
