"""Finding 1: a small xlsx holding 400,000 rows is refused without stopping the service: parsed off the event loop,
rows streamed and counted, the unpacked size bounded. While it is refused, the WeChat webhook keeps answering."""

from __future__ import annotations

import asyncio
import io
import statistics
import time
import zipfile

from tests.backoffice.factories import community_id
from tests.backoffice.helpers import staff_client
from tests.bot.wechat.wire import signed_params

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                 '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
                 'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                 'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def roster_bomb(rows: int = 400_000) -> bytes:
    """A real xlsx (inline strings) with a header and `rows` identical rows: ~200 KB packed, tens of MB unpacked."""
    def row(n: int, cells: tuple[str, ...]) -> str:
        return f'<row r="{n}">' + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in cells) + "</row>"

    body = [row(1, ("楼栋", "房号", "业主姓名"))]
    body.extend(row(n, ("1", "101", "张三")) for n in range(2, rows + 2))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(body) + "</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


async def test_a_400000_row_roster_is_refused_while_the_webhook_keeps_answering(runtime):
    data = roster_bomb()
    assert len(data) < 5 * 1024 * 1024  # passes the upload cap: only the rows make it heavy
    yghy = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "kefu") as client:
        await client.page("/admin/me")  # the CSRF token, before the clock starts
        done = asyncio.Event()
        latencies: list[float] = []

        async def ping_webhook() -> None:
            """A webhook request every 10 ms; each one's delay counts from when it was due, so a blocked event
            loop shows up even if it stalls between two requests."""
            due = time.perf_counter()
            while not done.is_set():
                response = await client.http.get("/wechat", params=signed_params("linli-dev-token") | {"echostr": "7"})
                latencies.append(time.perf_counter() - due)
                assert response.status_code == 200
                due = time.perf_counter() + 0.01
                await asyncio.sleep(0.01)

        async def upload():
            try:
                return await client.submit("/admin/residents/import", {"community_id": yghy},
                                           files={"roster": ("名册.xlsx", data)})
            finally:
                done.set()

        pinger = asyncio.create_task(ping_webhook())
        started = time.perf_counter()
        response = await upload()
        took = time.perf_counter() - started
        await pinger
    assert response.status_code == 400 and "一次最多导入 5000 行" in response.text
    # Refused fast: before the fix the parse alone held the event loop 14–20 s. A quick refusal may leave room for
    # only one or two webhook requests, so their number is not asserted, only that each one was answered at once.
    assert latencies and took < 5.0, (latencies, took)
    # Before: every request waited 14–20 s behind the parse. The p99 < 100 ms figure is measured on an idle machine
    # by benchmarks/roster_webhook.py; here, on a shared CI box, no request may wait anywhere near the parse.
    assert max(latencies) < 1.0, (max(latencies), statistics.median(latencies), took)
