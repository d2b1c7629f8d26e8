"""A staff member's browser without a browser: an httpx client on the ASGI app, with login and CSRF handling."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from linli.app import create_app
from workflows.demo import DEMO_PASSWORD
from workflows.runtime import Runtime

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class StaffClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client
        self.csrf = ""

    async def page(self, url: str, **kwargs: object) -> httpx.Response:
        response = await self.http.get(url, **kwargs)
        found = CSRF_INPUT.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def login(self, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
        await self.page("/admin/login")
        response = await self.http.post("/admin/login", data={"username": username, "password": password,
                                                              "csrf_token": self.csrf})
        self.csrf = ""  # a login starts a new session with a new token
        return response

    async def submit(self, url: str, data: dict | None = None, files: dict | None = None) -> httpx.Response:
        """POST a form the way the page does: with the session's CSRF token."""
        if not self.csrf:
            await self.page("/admin/me")
        return await self.http.post(url, data={**(data or {}), "csrf_token": self.csrf}, files=files)

    async def api(self, method: str, url: str, json: object = None) -> httpx.Response:
        if not self.csrf:
            await self.page("/admin/me")
        return await self.http.request(method, url, json=json, headers={"X-CSRF-Token": self.csrf})


@asynccontextmanager
async def staff_client(runtime: Runtime, username: str | None = None) -> AsyncIterator[StaffClient]:
    """A client on a fresh app over the test runtime, logged in as `username` when given."""
    app = create_app(runtime=runtime, start_loops=False)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        client = StaffClient(http)
        if username:
            response = await client.login(username)
            assert response.status_code == 303, response.text
        yield client
