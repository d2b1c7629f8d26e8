"""Composition of the owner-facing channel: the one Bot of the process, the /wechat webhook, and the loops that
deliver the outbox to WeChat, replay messages queued during a state store outage and write the message log."""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from bot.media import CompositeMediaStore
from bot.registry import default_registry
from bot.router import Bot
from bot.services import BotServices
from bot.wechat.api import WeChatApi
from bot.wechat.delivery import OutboxDelivery
from bot.wechat.intake import Intake
from bot.wechat.replay import Replayer
from bot.wechat.webhook import wechat_router
from linli.loops import Loop
from workflows.bindings.service import load_bound_openids
from workflows.runtime import Runtime

log = logging.getLogger("linli.wechat")


# The cyclic GC's thresholds once the heap is settled (CPython's default: 700, 10, 10). The webhook's objects die by
# reference counting, but with 50 requests in flight the young generation's count only grows (an object that
# outlives a collection is no longer counted down when freed): at 700 a young collection every ~25 messages, a
# middle one every ~250, ~13 us of GC per message (a quarter of a Redis round trip's cost, benchmarks/webhook.py
# --production). At 10,000 the same load sees about one young collection per 6,000 messages; cycles (exceptions
# with tracebacks, mostly) wait a little longer to be freed.
GC_THRESHOLDS = (10_000, 20, 10)


def settle_heap() -> None:
    """Load the big read-only structures now (jieba's dictionary, on the first tokenisation) and take everything
    allocated so far out of the cyclic GC's reach (gc.freeze). Full collections over the embedding model, Chroma
    and jieba took 0.2-0.3 s and were the webhook's p99 (benchmarks/webhook.py); frozen, they are never scanned.
    Then the thresholds above. Once per process: a server builds one app; a test session building many keeps only
    the first one frozen."""
    if gc.get_freeze_count():
        return
    try:
        from knowledge.text import domain_tokens

        domain_tokens("物业费怎么交")
    except Exception:  # noqa: BLE001 - only a warm-up
        log.warning("could not warm the tokenizer", exc_info=True)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


_ASSISTANTS: dict[tuple[str, str, str], Any] = {}


def build_assistant(settings: Any) -> Any:
    """The process's FAQ assistant (knowledge/), or None when it cannot be built (the bot then hands over honestly).
    One per process and Chroma location: a process that builds several apps (the test suite) shares it, and with it
    the model, the index in memory and the fitted intent model. The app warms it when it starts (warm_assistant)."""
    key = (settings.chroma_url or settings.chroma_path, settings.embeddings_base_url, settings.llm_base_url)
    if key in _ASSISTANTS:
        return _ASSISTANTS[key]
    try:
        from knowledge.assistant import build_assistant as build
    except ImportError:
        return None
    _ASSISTANTS[key] = build(settings)
    return _ASSISTANTS[key]


def warm_assistant(assistant: Any) -> None:
    """Load what the first message would otherwise wait for (the intent examples' vectors and model)."""
    try:
        if assistant is not None:
            from bot.registry import default_registry

            assistant.warm(default_registry().intent_specs())
    except Exception:  # noqa: BLE001 - only a warm-up: the first question pays instead
        log.warning("could not warm the FAQ assistant", exc_info=True)


BOUND_OPENIDS_REFRESH_S = 300.0


def bound_openids_loader(runtime: Runtime) -> Callable[[], Awaitable[object]]:
    """At start and every few minutes: the state store's "may be bound" openids from wechat_bindings (one query), so
    a new owner's first message needs no database query; the refresh also covers a flushed Redis or a binding made
    by a process that shares no state store with this one."""

    async def load() -> int:
        async with runtime.sessions() as session:
            return await load_bound_openids(session, runtime.state)

    return load


def install_wechat(app: FastAPI, runtime: Runtime, shutdown: list[Callable[[], Awaitable[object]]] | None = None, *,
                   assistant: Any = None) -> list[Loop]:
    """Build the Bot once (app.state.bot) around the process's FAQ assistant, mount /wechat, and return the
    channel's loops; `shutdown` receives the steps to run when the app stops (write the last message-log entries,
    close the API client)."""
    settings = runtime.settings
    api = WeChatApi(settings, runtime.state)
    bot = Bot(runtime, BotServices(assistant=assistant, media=CompositeMediaStore(settings, api)),
              default_registry())
    intake = Intake(runtime=runtime, bot=bot)
    app.state.bot, app.state.wechat_api, app.state.wechat_intake = bot, api, intake
    router = wechat_router(settings=settings, intake=intake)
    app.include_router(router)
    fast_paths = getattr(app, "fast_paths", None)
    if fast_paths is not None:  # linli.app.LinliApp serves the webhook ahead of the middleware stack
        fast_paths.update({route.path: route.app for route in router.routes if route.path == "/wechat"})
    if shutdown is not None:
        shutdown.extend([bot.transcript.flush, api.close])
    return [
        Loop("transcript", 0.5, bot.transcript.run_once, scope="process"),
        Loop("bound-openids", BOUND_OPENIDS_REFRESH_S, bound_openids_loader(runtime), scope="process"),
        Loop("wechat-delivery", 1.0, OutboxDelivery(runtime, api).run_once),
        Loop("bot-replay", 5.0, Replayer(runtime, bot).run_once),
    ]
