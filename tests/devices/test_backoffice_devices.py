"""设备 pages: devices off is said plainly, who may open a gate (others 403), and an open through the real broker."""

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from tests.devices.conftest import start_gateway, start_simulator
from tests.services import test_settings
from workflows.devices.models import CommandStatus, Device, DeviceCommand
from workflows.runtime import Runtime


async def _gate_id(runtime, code="gate-south-in") -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(Device.id).where(Device.code == code))


async def test_without_a_broker_the_device_page_says_devices_are_off(runtime):
    async with staff_client(runtime, "baoan") as client:
        page = await client.page("/admin/devices")
        assert page.status_code == 200
        assert 'data-state="off"' in page.text and "LINLI_MQTT_URL" in page.text
        assert "南门人行闸机（进）" in page.text and "开闸" not in page.text.split("</h1>", 1)[1].split("<table")[1]


async def test_roles_that_may_not_open_gates_get_403(runtime):
    gate = await _gate_id(runtime)
    for username in ("kefu", "wang.shifu", "caiwu"):
        async with staff_client(runtime, username) as client:
            assert (await client.submit(f"/admin/devices/{gate}/open")).status_code == 403
            assert (await client.api("POST", f"/admin/api/devices/{gate}/open")).status_code == 403
    async with runtime.sessions() as session:
        assert (await session.scalars(select(DeviceCommand))).all() == []


async def test_another_communitys_gate_is_not_found(runtime):
    gate = await _gate_id(runtime)
    async with staff_client(runtime, "cuihu.kefu") as client:
        assert (await client.api("POST", f"/admin/api/devices/{gate}/open")).status_code in (403, 404)


async def test_security_opens_a_gate_through_the_broker(tmp_path, settings, broker, topic_root, running):
    runtime = Runtime.from_settings(test_settings(tmp_path, database_url=settings.database_url, mqtt_url=broker,
                                                  mqtt_topic_root=topic_root))
    try:
        await start_gateway(runtime, running, url=broker, root=topic_root)
        sim = await start_simulator(running, url=broker, root=topic_root)
        gate = await _gate_id(runtime)
        async with staff_client(runtime, "baoan") as client:
            page = await client.page("/admin/devices")
            assert 'data-state="off"' not in page.text and "开闸" in page.text
            answer = (await client.api("POST", f"/admin/api/devices/{gate}/open")).json()
            assert answer["ok"] and answer["status"] == "acked"
            assert sim.by_code["gate-south-in"].executed == [answer["command_id"]]
            listing = (await client.api("GET", "/admin/api/devices")).json()
            assert listing["gateway"] == "ok"
            assert {d["code"]: d["online"] for d in listing["items"]}["gate-south-in"] is True
    finally:
        await runtime.close()


async def test_when_the_broker_is_down_staff_are_told_and_the_command_is_recorded(tmp_path, settings, topic_root,
                                                                                   running):
    runtime = Runtime.from_settings(test_settings(tmp_path, database_url=settings.database_url,
                                                  mqtt_url="mqtt://127.0.0.1:1", mqtt_topic_root=topic_root))
    try:
        await start_gateway(runtime, running, url="mqtt://127.0.0.1:1", root=topic_root, wait=False)
        gate = await _gate_id(runtime)
        async with staff_client(runtime, "manager") as client:
            answer = (await client.api("POST", f"/admin/api/devices/{gate}/open")).json()
            assert not answer["ok"] and "网关未连接" in answer["error"]
            assert 'data-state="down"' in (await client.page("/admin/devices")).text
        async with runtime.sessions() as session:
            row = await session.scalar(select(DeviceCommand).where(DeviceCommand.command_id == answer["command_id"]))
            assert row.status == CommandStatus.FAILED
    finally:
        await runtime.close()
