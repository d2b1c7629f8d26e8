"""Assembles the ASGI app: the WeChat channel at /wechat, the back office at /admin, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backoffice.app import install_backoffice
from linli.devices import install_devices
from linli.knowledge_sync import IndexSync
from linli.loops import Loop, LoopRunner
from linli.payments import install_payments
from linli.wechat import build_assistant, install_wechat, settle_heap, warm_assistant
from workflows.backups.runs import run_scheduled_backup
from workflows.reminders.scheduled import run_scheduled_reminders
from workflows.repairs.scheduled import run_repair_timers
from workflows.repairs.service import RepairPolicy
from workflows.runtime import Runtime
from workflows.settings import Settings
from workflows.statestore import StateStoreUnavailable


class LinliApp(FastAPI):
    """FastAPI, with a few hot endpoints served ahead of the middleware stack.

    The WeChat webhook is the hot path of the whole service (benchmarks/webhook.py): it has no session, no
    dependencies and no use for the app's exception handlers (it answers every refusal itself), so running it
    through ServerErrorMiddleware, the session middleware, the exception middleware and route matching only costs
    time. Other methods on the same path still go through FastAPI (405)."""

    fast_paths: dict[str, Any]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in FAST_METHODS:
            endpoint = self.fast_paths.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


FAST_METHODS = frozenset({"GET", "HEAD", "POST"})
LOOPBACK = frozenset({"127.0.0.1", "::1"})
PROXY_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")


def metrics_allowed(request: Request, token: str) -> bool:
    """With LINLI_METRICS_TOKEN: the bearer token, from anywhere. Without: a direct local request only (not one a
    reverse proxy on the same host forwarded from outside)."""
    if token:
        sent = request.headers.get("authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    peer = request.client.host if request.client else ""
    return peer in LOOPBACK and not any(h in request.headers for h in PROXY_HEADERS)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None,
               start_loops: bool | None = None, warm: bool | None = None) -> FastAPI:
    """The whole service for one deployment; `runtime` may be passed in by tests. `warm` (default: whenever the loops
    start) loads the FAQ assistant's model and intent vectors before serving; `linli worker` answers no owner
    directly and leaves them to the first use (knowledge.embeddings loads the model lazily)."""
    settings = settings or (runtime.settings if runtime else Settings())
    runtime = runtime or Runtime.from_settings(settings)
    loops: list[Loop] = []
    shutdown: list[Callable[[], Awaitable[object]]] = []  # run in order when the app stops
    run_worker_loops = settings.run_workers_in_process if start_loops is None else start_loops
    warm = start_loops is not False if warm is None else warm

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = LoopRunner(loops, include_worker_loops=run_worker_loops)
        if warm:  # a server: the first owner's message should not wait for the model
            await asyncio.to_thread(warm_assistant, app.state.knowledge)
        if start_loops is not False:
            runner.start()
        yield
        await runner.stop()
        for step in shutdown:
            await step()
        await runtime.close()

    app = LinliApp(title="Linli 邻里", lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.fast_paths = {}
    app.state.runtime = runtime
    app.state.loops = loops

    # --- the FAQ assistant (knowledge/): built once, handed to the bot, its index kept in step with the table ---
    assistant = build_assistant(settings)
    if warm and assistant is not None:
        assistant.load_model()  # now, so settle_heap below freezes the model's objects with the rest
    app.state.knowledge = assistant
    app.state.index_sync = IndexSync(runtime.sessions, assistant) if assistant is not None else None
    if app.state.index_sync is not None:
        loops.append(Loop("faq-index", 1.0, app.state.index_sync.run_once, scope="process"))

    # --- mounts: each package adds its routers, loops and shutdown steps here ---
    loops.extend(install_wechat(app, runtime, shutdown, assistant=assistant))
    loops.extend(Loop(name, interval, step) for name, interval, step in install_backoffice(app, runtime))
    repair_policy = RepairPolicy.from_settings(settings)
    loops.append(Loop("repair-timers", 60.0, lambda: run_repair_timers(runtime.sessions, repair_policy)))
    loops.append(Loop("backup", 60.0, lambda: run_scheduled_backup(runtime)))  # daily, at LINLI_BACKUP_TIME
    # 催缴: daily per community, once its quiet hours are over (workflows/reminders/scheduled.py)
    loops.append(Loop("bill-reminders", 60.0, lambda: run_scheduled_reminders(runtime.sessions)))
    loops.extend(install_payments(app, runtime))
    loops.extend(install_devices(app, runtime))
    settle_heap()  # keep last: after every package has loaded what it keeps

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        checks = {"database": "ok", "state_store": "ok"}
        try:
            await runtime.check_database()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            await runtime.state.ping()
        except StateStoreUnavailable as exc:
            checks["state_store"] = f"error: {exc}"[:200]
        healthy = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if healthy else "degraded", **checks}, status_code=200 if healthy else 503)

    @app.get("/healthz/knowledge", include_in_schema=False)
    async def knowledge_health() -> JSONResponse:
        """Whether this process's FAQ index holds exactly the FAQ table (count and checksum of both)."""
        status = app.state.index_sync.status if app.state.index_sync is not None else None
        if status is None:
            return JSONResponse({"status": "not checked yet"}, status_code=503)
        return JSONResponse({"status": "ok" if status.in_step else "out of step", "entries": status.entries,
                             "checksum": status.checksum, "indexed": status.indexed,
                             "index_checksum": status.index_checksum}, status_code=200 if status.in_step else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not metrics_allowed(request, settings.metrics_token):
            return Response("forbidden", status_code=403)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
