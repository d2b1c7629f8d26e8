"""Export any staff table to xlsx (openpyxl): a header row, then the rows, as the page shows them.

Text is written as text: openpyxl turns a string starting with "=" into a formula, and owner text (a repair
description, a question) must never become a live formula (=HYPERLINK(...)) in a staff member's Excel."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from workflows.clock import local

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date) or value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def _append_as_text(sheet: Any, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # a string cell, whatever its first character


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    _append_as_text(sheet, list(headers))
    widths = [len(h) * 2 + 2 for h in headers]
    for row in rows:
        values = [_cell(v) for v in row]
        _append_as_text(sheet, values)
        for i, v in enumerate(values[: len(widths)]):
            widths[i] = min(60, max(widths[i], len(str(v or "")) + 2))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download; `filename` may be Chinese (RFC 5987 encoded)."""
    name = filename if filename.endswith(".xlsx") else filename + ".xlsx"
    disposition = f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(name)}"
    return Response(xlsx_bytes(headers, rows, title=name[:-5]), media_type=XLSX,
                    headers={"Content-Disposition": disposition})
