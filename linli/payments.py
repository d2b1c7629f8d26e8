"""Composition of payments: the one provider of the process (WeChat Pay or the sandbox), the /pay routes, and the
payment-timers loop (order queries 10 minutes after prepay, closing expired orders) and the daily reconciliation."""

from __future__ import annotations

from fastapi import FastAPI

from bot.pay.routes import pay_router
from linli.loops import Loop
from workflows.payments.providers import build_provider
from workflows.payments.reconciliation import run_daily_reconciliation
from workflows.payments.scheduled import run_payment_timers
from workflows.runtime import Runtime


def install_payments(app: FastAPI, runtime: Runtime) -> list[Loop]:
    provider = build_provider(runtime.settings)
    app.state.payments_provider = provider
    app.include_router(pay_router(runtime, provider))
    return [Loop("payment-timers", 60.0, lambda: run_payment_timers(runtime.sessions, provider)),
            # yesterday's trade bill once it is out (10:00); done once a day (a row per provider and day)
            Loop("reconciliation", 900.0, lambda: run_daily_reconciliation(runtime.sessions, provider))]
