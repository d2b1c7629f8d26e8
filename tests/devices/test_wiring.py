"""The server holds the broker connection only when LINLI_MQTT_URL is set (and the gateway is in-process)."""

import asyncio

from linli.app import create_app
from linli.loops import LoopRunner
from tests.services import test_settings
from workflows.devices import service as devices
from workflows.runtime import Runtime


def _names(app) -> set[str]:
    return {loop.name for loop in app.state.loops}


async def test_without_a_url_or_with_a_separate_gateway_the_server_stays_off_the_broker(tmp_path, settings,
                                                                                        runtime):
    app = create_app(runtime=runtime, start_loops=False)
    assert "device-gateway" not in _names(app) and app.state.device_gateway is None
    runtime = Runtime.from_settings(test_settings(tmp_path, database_url=settings.database_url,
                                                  mqtt_url="mqtt://127.0.0.1:1883", mqtt_gateway_in_process=False))
    try:
        assert "device-gateway" not in _names(create_app(runtime=runtime, start_loops=False))
    finally:
        await runtime.close()


async def test_with_a_broker_url_the_server_runs_the_gateway(tmp_path, settings, broker, topic_root):
    runtime = Runtime.from_settings(test_settings(tmp_path, database_url=settings.database_url, mqtt_url=broker,
                                                  mqtt_topic_root=topic_root))
    try:
        app = create_app(runtime=runtime, start_loops=False)
        assert "device-gateway" in _names(app)
        runner = LoopRunner([loop for loop in app.state.loops if loop.name == "device-gateway"],
                            include_worker_loops=False)
        runner.start()
        await asyncio.wait_for(app.state.device_gateway.connected.wait(), 10)
        async with runtime.sessions() as session:
            assert devices.gateway_reachable(await devices.gateway_status(session))
        await runner.stop()
    finally:
        await runtime.close()
