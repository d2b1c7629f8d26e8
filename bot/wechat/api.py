"""WeChat's server API (api.weixin.qq.com or settings.wechat_api_base): the access token and the calls Linli makes.

The access token is cached in the state store under "wechat:token" (TTL expires_in - 300 s) so every worker shares
one; a refresh runs under the state store's lock "wechat:token-refresh", so only one worker fetches at a time. A call
answered with an invalid/expired token (40001, 42001, 40014) drops the token, fetches a new one and retries once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from workflows.settings import Settings
from workflows.statestore import StateStore

TOKEN_KEY = "wechat:token"
TOKEN_LOCK = "wechat:token-refresh"
TOKEN_MARGIN_S = 300
TOKEN_ERRORS = {40001, 42001, 40014}
# Errors that no retry can fix: the 48-hour customer-service window closed or the owner unsubscribed (45015),
# an invalid openid (40003), template id (40037), media id (40007), a bad appid/secret (40013, 40125), API not
# authorised for this account (48001), the owner refused template messages (43101).
PERMANENT_ERRORS = {45015, 40003, 40037, 40007, 40013, 40125, 48001, 43101, 44002, 40016}


class WeChatApiError(Exception):
    """WeChat answered with an errcode, or could not be reached (errcode -1, HTTP problems)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg

    @property
    def permanent(self) -> bool:
        return self.errcode in PERMANENT_ERRORS


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str


class WeChatApi:
    """An async client for one official account; share one instance per process."""

    def __init__(self, settings: Settings, state: StateStore, *, client: httpx.AsyncClient | None = None,
                 max_media_bytes: int = 10 * 1024 * 1024) -> None:
        self.settings = settings
        self.state = state
        self.base = settings.wechat_api_base.rstrip("/")
        self.max_media_bytes = max_media_bytes
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))

    async def close(self) -> None:
        await self._client.aclose()

    # --- the access token -----------------------------------------------------------------------------------
    async def access_token(self) -> str:
        """The shared token: from the state store, or fetched once (under the lock) when missing."""
        token = await self.state.get(TOKEN_KEY)
        if token:
            return token
        async with self.state.lock(TOKEN_LOCK, timeout_s=15):
            token = await self.state.get(TOKEN_KEY)  # another worker may have fetched it meanwhile
            if token:
                return token
            return await self._fetch_token()

    async def _fetch_token(self) -> str:
        data = await self._request("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.settings.wechat_appid,
            "secret": self.settings.wechat_app_secret})
        token, expires_in = data.get("access_token"), int(data.get("expires_in", 7200))
        if not token:
            raise WeChatApiError(-1, "no access_token in the answer")
        await self.state.set(TOKEN_KEY, token, ttl_s=max(expires_in - TOKEN_MARGIN_S, 60))
        return token

    async def _drop_token(self, bad: str) -> None:
        async with self.state.lock(TOKEN_LOCK, timeout_s=15):
            if await self.state.get(TOKEN_KEY) == bad:
                await self.state.delete(TOKEN_KEY)

    # --- calls ----------------------------------------------------------------------------------------------
    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client.request(method, self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise WeChatApiError(-1, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise WeChatApiError(-1, f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise WeChatApiError(-1, "not JSON") from exc
        if data.get("errcode"):
            raise WeChatApiError(int(data["errcode"]), str(data.get("errmsg", "")))
        return data

    async def _call(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                    params: dict[str, str] | None = None, raw: bool = False) -> Any:
        """Call with the token; on a token error refresh once and retry."""
        for attempt in (1, 2):
            token = await self.access_token()
            query = {"access_token": token, **(params or {})}
            try:
                if raw:
                    return await self._raw(path, query)
                content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
                return await self._request(method, path, params=query, content=content,
                                           headers={"Content-Type": "application/json; charset=utf-8"})
            except WeChatApiError as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 1:
                    await self._drop_token(token)
                    continue
                raise
        raise AssertionError("unreachable")

    async def _raw(self, path: str, query: dict[str, str]) -> Media:
        try:
            async with self._client.stream("GET", self.base + path, params=query) as response:
                if response.status_code >= 400:
                    raise WeChatApiError(-1, f"HTTP {response.status_code}")
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_media_bytes:
                        raise WeChatApiError(-2, "media too large")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise WeChatApiError(-1, f"{type(exc).__name__}: {exc}") from exc
        data = b"".join(chunks)
        if content_type in ("application/json", "text/plain"):
            try:
                answer = json.loads(data)
            except ValueError:
                answer = {}
            if answer.get("errcode"):
                raise WeChatApiError(int(answer["errcode"]), str(answer.get("errmsg", "")))
        return Media(data=data, content_type=content_type)

    async def send_text(self, *, openid: str, text: str) -> None:
        """A customer-service text message (客服消息); only within 48 h of the owner's last message (else 45015)."""
        await self._call("POST", "/cgi-bin/message/custom/send",
                         body={"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(self, *, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None) -> None:
        """A template message (模板消息); `data` values may be plain strings or {"value": …}."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": {
            key: value if isinstance(value, dict) else {"value": str(value)} for key, value in data.items()}}
        if url:
            body["url"] = url
        await self._call("POST", "/cgi-bin/message/template/send", body=body)

    async def upload_image(self, *, data: bytes, filename: str) -> str:
        """Upload a temporary image (临时素材, kept 3 days by WeChat) and return its media_id."""
        for attempt in (1, 2):
            token = await self.access_token()
            try:
                answer = await self._request("POST", "/cgi-bin/media/upload",
                                             params={"access_token": token, "type": "image"},
                                             files={"media": (filename, data, "image/png")})
            except WeChatApiError as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 1:
                    await self._drop_token(token)
                    continue
                raise
            media_id = str(answer.get("media_id", ""))
            if not media_id:
                raise WeChatApiError(-1, "no media_id in the upload answer")
            return media_id
        raise AssertionError("unreachable")

    async def send_image(self, *, openid: str, media_id: str) -> None:
        """A customer-service image message (e.g. a visitor pass's QR code)."""
        await self._call("POST", "/cgi-bin/message/custom/send",
                         body={"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._call("POST", "/cgi-bin/menu/create", body=menu)

    async def get_media(self, media_id: str) -> Media:
        """Download a temporary media file (an owner's photo or voice) by its media id."""
        return await self._call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, raw=True)
