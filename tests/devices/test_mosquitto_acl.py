"""The sample Mosquitto setup holds: a broker of our own (same binary as CI's) with the generated ACL and a password
per device; a device can neither read another device's commands nor write another device's events."""

import asyncio
import contextlib
import getpass
import shutil
import socket
import subprocess

import aiomqtt
import pytest

from devices.mosquitto import GATEWAY_USER, acl, config, device_username
from tests.services import IN_CI

ROOT = "linli"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def acl_broker(tmp_path):
    if not shutil.which("mosquitto") or not shutil.which("mosquitto_passwd"):
        if IN_CI:
            pytest.fail("mosquitto is not installed (CI=true: a missing service is a failure)")
        pytest.skip("mosquitto is not installed")
    devices = [("YGHY", "gate-a"), ("YGHY", "gate-b")]
    passwords = tmp_path / "passwd"
    users = {GATEWAY_USER: "gw-secret", **{device_username(c, d): f"{d}-secret" for c, d in devices}}
    for user, password in users.items():
        subprocess.run(["mosquitto_passwd", "-b", *([] if passwords.exists() else ["-c"]), str(passwords), user,
                        password], check=True, capture_output=True)
    (tmp_path / "acl").write_text(acl(ROOT, devices))
    port = _free_port()
    (tmp_path / "mosquitto.conf").write_text(config(port=port, password_file=str(passwords),
                                                    acl_file=str(tmp_path / "acl"), user=getpass.getuser()))
    process = subprocess.Popen(["mosquitto", "-c", str(tmp_path / "mosquitto.conf")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    for _ in range(50):
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        if process.poll() is not None:
            pytest.fail(f"mosquitto did not start: {process.stderr.read().decode()[:500]}")
        subprocess.run(["sleep", "0.1"])
    yield port, users
    process.terminate()
    process.wait(5)


async def _collect(client: aiomqtt.Client, into: list, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            async for message in client.messages:
                into.append((message.topic.value, bytes(message.payload)))


async def test_each_device_is_limited_to_its_own_topics(acl_broker):
    port, users = acl_broker
    a, b = device_username("YGHY", "gate-a"), device_username("YGHY", "gate-b")
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client("127.0.0.1", port, username=a, password="wrong"):
            pass
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client("127.0.0.1", port):  # anonymous
            pass
    seen_by_gateway: list = []
    seen_by_a: list = []
    async with aiomqtt.Client("127.0.0.1", port, username=GATEWAY_USER, password=users[GATEWAY_USER]) as gateway, \
            aiomqtt.Client("127.0.0.1", port, username=a, password=users[a]) as gate_a:
        await gateway.subscribe(f"{ROOT}/#", qos=1)
        await gate_a.subscribe(f"{ROOT}/YGHY/gate-a/cmd/+", qos=1)
        await gate_a.subscribe(f"{ROOT}/YGHY/gate-b/cmd/+", qos=1)  # not allowed: nothing will arrive
        await gate_a.publish(f"{ROOT}/YGHY/gate-a/event", b"mine", qos=1)
        await gate_a.publish(f"{ROOT}/YGHY/gate-b/event", b"forged", qos=1)  # dropped by the broker
        await gateway.publish(f"{ROOT}/YGHY/gate-a/cmd/c1", b"for a", qos=1)
        await gateway.publish(f"{ROOT}/YGHY/gate-b/cmd/c2", b"for b", qos=1)
        await asyncio.gather(_collect(gateway, seen_by_gateway, 1.0), _collect(gate_a, seen_by_a, 1.0))
    assert (f"{ROOT}/YGHY/gate-a/event", b"mine") in seen_by_gateway
    assert all(payload != b"forged" for _, payload in seen_by_gateway)
    assert seen_by_a == [(f"{ROOT}/YGHY/gate-a/cmd/c1", b"for a")]
    assert b in users
