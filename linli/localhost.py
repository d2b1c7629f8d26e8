"""Running a server process on this machine's loopback (`linli serve`, a Chroma server, a benchmark's server): a free
port, and waiting until it answers. Used by the benchmarks and the tests that start real processes."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, *, timeout_s: float) -> bool:
    """True once 127.0.0.1:port accepts connections; False if the process exits or the time runs out first."""
    return _wait(lambda: _accepts(port), process, timeout_s)


def wait_for_health(base_url: str, process: subprocess.Popen, *, timeout_s: float) -> bool:
    """True once GET {base_url}/healthz answers 200; False if the process exits or the time runs out first."""
    return _wait(lambda: _healthy(base_url), process, timeout_s)


def _wait(ready, process: subprocess.Popen, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.1)
    return False


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(base_url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
