"""`linli devices`: the registry, the gateway process, and the simulator of a virtual community."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from linli.cli_sessions import in_session
from workflows.settings import Settings

devices_app = typer.Typer(help="Devices over MQTT (门禁、道闸、表、报警): registry, gateway, simulator.",
                          no_args_is_help=True)
console = Console()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


def _broker_settings() -> Settings:
    """Settings for a command that talks to the broker: it exits when LINLI_MQTT_URL is not set, and logs."""
    settings = Settings()
    if not settings.mqtt_url:
        console.print("[red]LINLI_MQTT_URL is not set[/red]: devices are off. "
                      "Example: LINLI_MQTT_URL=mqtt://127.0.0.1:1883 (docs/devices.md)")
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return settings


async def _community_devices(settings: Settings, code: str) -> tuple[Any, list[Any]]:
    """The community with this code and its devices (DeviceView rows); BadParameter when there is none."""
    from sqlalchemy import select

    from workflows.community.models import Community
    from workflows.devices.service import devices_of

    async def read(session: Any) -> tuple[Any, list[Any]]:
        found = await session.scalar(select(Community).where(Community.code == code))
        if found is None:
            raise typer.BadParameter(f"no community with code {code}")
        return found, await devices_of(session, community_ids={found.id})

    return await in_session(read, settings)


@devices_app.command("list")
def list_devices(community: str = typer.Option("YGHY", help="community code")) -> None:
    """The community's devices, online or not."""

    async def run() -> None:
        found, rows = await _community_devices(Settings(), community)
        table = Table(title=f"{found.name} 设备")
        for column in ("code", "类型", "名称", "位置", "在线"):
            table.add_column(column)
        for d in rows:
            table.add_row(d.code, d.subtype_label, d.name, d.location, "在线" if d.online else "离线")
        console.print(table)

    asyncio.run(run())


@devices_app.command("gateway")
def gateway(name: str = typer.Option("default", help="gateway name (one per broker connection)")) -> None:
    """Hold the broker connection: publish queued commands, store acks, statuses, events and readings."""
    from linli.devices import build_gateway
    from workflows.runtime import Runtime

    settings = _broker_settings()

    async def run() -> None:
        runtime = Runtime.from_settings(settings)
        stop = asyncio.Event()
        _stop_on_signals(stop)
        gw = build_gateway(runtime, name=name)
        console.print(f"gateway {name}: {gw.broker} under {settings.mqtt_topic_root}/ (Ctrl+C stops)")
        try:
            await gw.run(stop)
        finally:
            await runtime.close()

    asyncio.run(run())


@devices_app.command("simulate")
def simulate(community: str = typer.Option("YGHY", help="community code"),
             meter_interval: float = typer.Option(30.0, help="seconds between meter readings (0: none)"),
             alarm_after: float = typer.Option(0.0, help="make the first alarm sensor alarm after N seconds")) -> None:
    """A virtual community on the broker: gates that acknowledge, meters that report, sensors that alarm.
    Type `alarm CODE`, `clear CODE`, `scan GATE CODE` or `jam GATE` on stdin while it runs."""
    from devices.simulator import Simulator, VirtualDevice

    settings = _broker_settings()

    async def run() -> None:
        _, rows = await _community_devices(settings, community)
        virtual = [VirtualDevice(community=community, code=d.code, kind=d.kind.value, subtype=d.subtype)
                   for d in rows]
        sim = Simulator(url=settings.mqtt_url, root=settings.mqtt_topic_root, devices=virtual,
                        meter_interval_s=meter_interval)
        stop = asyncio.Event()
        _stop_on_signals(stop)
        console.print(f"simulating {len(virtual)} devices of {community}: " + ", ".join(d.code for d in virtual))
        tasks = [asyncio.create_task(sim.run(stop)), asyncio.create_task(_commands(sim, stop))]
        if alarm_after > 0:
            sensor = next((d for d in virtual if d.kind == "alarm"), None)
            if sensor is not None:
                tasks.append(asyncio.create_task(_alarm_later(sim, sensor.code, alarm_after)))
        await stop.wait()
        for task in tasks[1:]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())


async def _alarm_later(sim, code: str, delay: float) -> None:  # noqa: ANN001 - a Simulator
    await asyncio.sleep(delay)
    console.print(f"alarm from {code}: {await sim.alarm(code)}")


async def _commands(sim, stop: asyncio.Event) -> None:  # noqa: ANN001 - a Simulator
    """Lines on stdin drive the simulated devices."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), __import__("sys").stdin)
    except (OSError, ValueError):
        return
    while not stop.is_set():
        line = (await reader.readline()).decode().strip()
        if not line:
            if reader.at_eof():
                return
            continue
        try:
            console.print(await _drive(sim, line.split()))
        except (IndexError, KeyError) as exc:
            console.print(f"[red]{exc}[/red]")


USAGE = "alarm CODE | clear CODE | scan GATE PASS | code GATE DIGITS | jam GATE"


async def _drive(sim, words: list[str]) -> str:  # noqa: ANN001 - a Simulator
    """One stdin line: what the named simulated device did."""
    verb = words[0]
    if verb in ("alarm", "clear"):
        return f"{verb} {await sim.alarm(words[1], clear=verb == 'clear')}"
    if verb in ("scan", "code"):
        return f"{verb} {await sim.present(words[1], words[2], method='qr' if verb == 'scan' else 'code')}"
    if verb == "jam":
        sim.by_code[words[1]].refuse_with = "jammed"
        return f"jammed {words[1]}"
    return USAGE


@devices_app.command("acl")
def print_acl(community: str = typer.Option("", help="community code; default: every community")) -> None:
    """A Mosquitto acl_file for the registry: each device limited to its own topics (docs/devices.md)."""
    from sqlalchemy import select

    from devices.mosquitto import acl
    from workflows.community.models import Community
    from workflows.devices.models import Device

    settings = Settings()

    async def read(session: Any) -> str:
        query = select(Community.code, Device.code).join(Device, Device.community_id == Community.id)
        if community:
            query = query.where(Community.code == community)
        rows = (await session.execute(query.order_by(Community.code, Device.code))).all()
        return acl(settings.mqtt_topic_root, [(c, d) for c, d in rows])

    print(asyncio.run(in_session(read, settings)))
