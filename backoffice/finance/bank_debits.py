"""银行代扣: staff upload a bank's debit result file; successful rows settle through the settling service (once per
bank serial), failed debits are listed, and a file with any bad row is refused whole with each row's reason."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from backoffice.finance.common import may_finance
from backoffice.rendering import render
from backoffice.security import actor_of, require_community, runtime_of, visible_communities
from workflows.billing.pricing import yuan
from workflows.db import transaction
from workflows.payments.bank_debits import (
    HEADERS,
    MAX_BYTES,
    BankDebitInvalid,
    import_bank_debits,
    read_bank_debits,
)
from workflows.staff.models import StaffUser

router = APIRouter()
COLUMN_LABELS = {name: words[0] for name, words in HEADERS.items()} | {"file": "文件"}


async def _page(request: Request, staff: StaffUser, **context: object) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        communities = [(c.id, c.name) for c in await visible_communities(session, staff)]
    status_code = int(context.pop("status_code", 200))  # type: ignore[call-overload]
    return render(request, "finance/bank_debits.html", {
        "communities": communities, "errors": [], "result": None, "labels": COLUMN_LABELS, "yuan": yuan,
        **context}, status_code=status_code)


@router.get("/finance/bank-debits", include_in_schema=False)
async def bank_debits(request: Request, staff: StaffUser = Depends(may_finance)) -> Response:
    return await _page(request, staff)


@router.post("/finance/bank-debits", include_in_schema=False)
async def bank_debits_import(request: Request, community_id: int = Form(0), debits: UploadFile = File(...),
                             staff: StaffUser = Depends(may_finance)) -> Response:
    require_community(staff, community_id)
    rows, errors = await asyncio.to_thread(read_bank_debits, debits.filename or "",
                                           await debits.read(MAX_BYTES + 1))
    if errors:
        return await _page(request, staff, errors=errors, filename=debits.filename, status_code=400)
    try:
        async with transaction(runtime_of(request).sessions) as session:
            result = await import_bank_debits(session, community_id=community_id, rows=rows, actor=actor_of(staff))
    except BankDebitInvalid as exc:
        return await _page(request, staff, errors=exc.errors, filename=debits.filename, status_code=400)
    return await _page(request, staff, result=result, filename=debits.filename)
