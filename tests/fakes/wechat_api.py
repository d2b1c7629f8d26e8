"""A local fake of WeChat's API server (api.weixin.qq.com) speaking its real JSON, for tests and benchmarks.

    with FakeWeChatApi() as fake:            # a real HTTP server on 127.0.0.1, random port, in a thread
        settings = ...(wechat_api_base=fake.base_url, wechat_appid=fake.appid, wechat_app_secret=fake.secret)
        ...
        assert fake.custom_sends == [{"touser": "o1", "msgtype": "text", "text": {"content": "…"}}]

Endpoints: GET /cgi-bin/token, POST /cgi-bin/message/custom/send, POST /cgi-bin/message/template/send,
POST /cgi-bin/menu/create, GET /cgi-bin/media/get. Failure switches: `expire_token()` (the next call with the
current token gets 40001), `fail_http(n)` (the next n API calls get HTTP 500), `closed_window.add(openid)` (custom
sends to it get 45015), `media` (media_id -> (bytes, content type); unknown ids get 40007), `token_delay_s`.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.local_server import LocalServer

INVALID_TOKEN = {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
OK = {"errcode": 0, "errmsg": "ok"}


class FakeWeChatApi(LocalServer):
    name = "fake WeChat API"

    def __init__(self, appid: str = "wxfake0000000001", secret: str = "fake-secret") -> None:
        self.appid, self.secret = appid, secret
        self.token_fetches = 0
        self.valid_tokens: set[str] = set()
        self.custom_sends: list[dict[str, Any]] = []
        self.template_sends: list[dict[str, Any]] = []
        self.menus: list[dict[str, Any]] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, tuple[bytes, str]] = {}  # media_id -> (bytes, content type) uploaded by Linli
        self.closed_window: set[str] = set()
        self.token_delay_s = 0.0
        self._http_failures = 0
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._build()

    # --- switches -------------------------------------------------------------------------------------------
    def expire_token(self) -> None:
        """Every token issued so far stops working (WeChat answers 40001), as after a refresh elsewhere."""
        with self._lock:
            self.valid_tokens.clear()

    def fail_http(self, times: int) -> None:
        with self._lock:
            self._http_failures = times

    # --- the server -------------------------------------------------------------------------------------------
    def _take_failure(self) -> bool:
        with self._lock:
            if self._http_failures > 0:
                self._http_failures -= 1
                return True
        return False

    def _checked(self, request: Request) -> JSONResponse | None:
        if self._take_failure():
            return JSONResponse({"message": "server error"}, status_code=500)
        if request.query_params.get("access_token") not in self.valid_tokens:
            return JSONResponse(INVALID_TOKEN)
        return None

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/cgi-bin/token")
        async def token(request: Request) -> JSONResponse:
            params = request.query_params
            if self._take_failure():
                return JSONResponse({"message": "server error"}, status_code=500)
            if params.get("grant_type") != "client_credential":
                return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
            if params.get("appid") != self.appid:
                return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
            if params.get("secret") != self.secret:
                return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
            if self.token_delay_s:
                await asyncio.sleep(self.token_delay_s)
            with self._lock:
                self.token_fetches += 1
                value = f"FAKE_TOKEN_{next(self._serial)}_{int(time.time())}"
                self.valid_tokens.add(value)
            return JSONResponse({"access_token": value, "expires_in": 7200})

        @app.post("/cgi-bin/message/custom/send")
        async def custom_send(request: Request) -> JSONResponse:
            if (refused := self._checked(request)) is not None:
                return refused
            body = await request.json()
            if body.get("touser") in self.closed_window:
                return JSONResponse({"errcode": 45015, "errmsg": "response out of time limit or subscription is "
                                                                "canceled"})
            if body.get("msgtype") == "image":
                if body.get("image", {}).get("media_id") not in self.uploads:
                    return JSONResponse({"errcode": 40007, "errmsg": "invalid media_id"})
                self.custom_sends.append(body)
                return JSONResponse(OK)
            if body.get("msgtype") != "text" or not body.get("text", {}).get("content"):
                return JSONResponse({"errcode": 44002, "errmsg": "empty post data"})
            self.custom_sends.append(body)
            return JSONResponse(OK)

        @app.post("/cgi-bin/media/upload")
        async def media_upload(request: Request) -> JSONResponse:
            """Temporary media (临时素材): multipart field "media"; images are PNG/JPEG up to 10 MB."""
            if (refused := self._checked(request)) is not None:
                return refused
            if request.query_params.get("type") != "image":
                return JSONResponse({"errcode": 40004, "errmsg": "invalid media type"})
            form = await request.form()
            upload = form.get("media")
            if upload is None or isinstance(upload, str):
                return JSONResponse({"errcode": 41005, "errmsg": "media data missing"})
            data = await upload.read()
            if not (data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8")) or len(data) > 10 * 1024 * 1024:
                return JSONResponse({"errcode": 40005, "errmsg": "invalid file type"})
            media_id = f"MEDIA_{next(self._serial)}"
            self.uploads[media_id] = (data, upload.content_type or "")
            return JSONResponse({"type": "image", "media_id": media_id, "created_at": int(time.time())})

        @app.post("/cgi-bin/message/template/send")
        async def template_send(request: Request) -> JSONResponse:
            if (refused := self._checked(request)) is not None:
                return refused
            body = await request.json()
            if not body.get("template_id"):
                return JSONResponse({"errcode": 40037, "errmsg": "invalid template_id"})
            self.template_sends.append(body)
            return JSONResponse(OK | {"msgid": 200228332 + len(self.template_sends)})

        @app.post("/cgi-bin/menu/create")
        async def menu_create(request: Request) -> JSONResponse:
            if (refused := self._checked(request)) is not None:
                return refused
            body = await request.json()
            if not body.get("button") or len(body["button"]) > 3:
                return JSONResponse({"errcode": 40016, "errmsg": "invalid button size"})
            self.menus.append(body)
            return JSONResponse(OK)

        @app.get("/cgi-bin/media/get")
        async def media_get(request: Request) -> Response:
            if (refused := self._checked(request)) is not None:
                return refused
            media_id = request.query_params.get("media_id", "")
            if media_id not in self.media:
                return JSONResponse({"errcode": 40007, "errmsg": "invalid media_id"})
            data, content_type = self.media[media_id]
            extension = content_type.split("/")[-1]
            return Response(data, media_type=content_type,
                            headers={"Content-disposition": f'attachment; filename="{media_id}.{extension}"'})

        return app
