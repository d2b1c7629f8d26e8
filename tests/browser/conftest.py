"""Browser tests: the real app under uvicorn on 127.0.0.1 (a subprocess, seeded SQLite copy), Debian's chromium
driven by Playwright. Never `playwright install`: a missing /usr/bin/chromium skips locally and fails under CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from linli.localhost import free_port, wait_for_health
from tests.services import IN_CI, LINLI, copy_sqlite, linli_env, test_settings
from workflows.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def linli_chat(settings: Settings, lines: str, *, openid: str) -> str:
    """Drive `linli chat` as an owner with piped stdin; returns what the owner saw."""
    done = subprocess.run([str(LINLI), "chat", "--openid", openid], input=lines, capture_output=True, text=True,
                          env=linli_env(settings), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Server:
    base_url: str
    settings: Settings


@pytest.fixture(scope="module")
def server(sqlite_template: Path, chroma_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    """One server per test module (start-up loads the FAQ model): tests in a module share its database."""
    tmp_path = tmp_path_factory.mktemp("browser")
    settings = test_settings(tmp_path, database_url=copy_sqlite(sqlite_template, tmp_path))
    shutil.copytree(chroma_template, settings.chroma_path)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([str(LINLI), "serve", "--host", "127.0.0.1", "--port", str(port)],
                               env=linli_env(settings), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for_health(base, process, timeout_s=60):
            raise RuntimeError("server did not start: " + (tmp_path / "server.log").read_text()[-2000:])
        yield Server(base, settings)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (make test installs it; never `playwright install`)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, name: str) -> None:  # noqa: ANN001 - a Playwright page
    """Only with LINLI_SCREENSHOTS=1, so CI never rewrites the committed pictures."""
    if os.environ.get("LINLI_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
