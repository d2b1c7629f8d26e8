"""Waiting for a local server: up when it answers, given up on when the process dies or the time runs out."""

from __future__ import annotations

import subprocess
import sys

from linli.localhost import free_port, wait_for_health, wait_for_port

SERVE_HEALTHZ = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404); self.end_headers()
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def test_a_listening_server_is_seen_on_its_port_and_its_health_check():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE_HEALTHZ, str(port)])
    try:
        assert wait_for_port(port, process, timeout_s=20)
        assert wait_for_health(f"http://127.0.0.1:{port}", process, timeout_s=5)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_process_that_exits_is_not_waited_for_until_the_deadline():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    assert not wait_for_port(free_port(), process, timeout_s=60)
    assert process.poll() is not None


def test_nothing_listening_gives_up_at_the_deadline():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not wait_for_health(f"http://127.0.0.1:{free_port()}", process, timeout_s=0.5)
    finally:
        process.kill()
        process.wait(timeout=10)
