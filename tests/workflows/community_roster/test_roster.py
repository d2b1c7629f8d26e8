"""Roster import: every bad row reported with its line and column, nothing imported; clean files apply once."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from workflows.community.models import Building, Community, Household, Resident
from workflows.community.roster import RosterInvalid, import_roster, read_roster
from workflows.db import transaction

HEADER = ["楼栋", "房号", "建筑面积", "业主姓名", "联系电话", "入住日期"]


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in [HEADER, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _counts(runtime) -> tuple[int, int, int]:
    async with transaction(runtime.sessions) as session:
        return (await session.scalar(select(func.count(Household.id))),
                await session.scalar(select(func.count(Resident.id))),
                await session.scalar(select(func.count(Building.id))))


def test_bad_rows_are_reported_with_their_line_and_column():
    rows, errors = read_roster("名册.xlsx", xlsx([
        ["7", "1单元101", 95.5, "刘洋", "13912345678", datetime(2021, 3, 1)],
        ["7", "", 95.5, "王芳", "13912345679", None],
        ["7", "1单元102", "很大", "赵强", "12345", "2021-13-45"],
        ["7", "1单元101", 95.5, "刘洋", "13912345678", None],
    ]))
    assert [r.line for r in rows] == [2]
    assert {(e.line, e.field) for e in errors} == {(3, "room"), (4, "area_m2"), (4, "phone"), (4, "move_in"),
                                                  (5, "room")}
    assert next(e for e in errors if e.line == 5).message == "和第 2 行重复"


@pytest.mark.parametrize("filename,data,message", [
    ("名册.txt", b"x", "请上传 .xlsx 或 .csv 文件"),
    ("名册.xlsx", b"not a zip", "文件打不开"),
    ("名册.csv", "姓名,电话\n张三,13800000000\n".encode(), "表头缺少：楼栋、房号"),
    ("名册.csv", b"", "文件是空的"),
])
def test_unusable_files_get_one_clear_message(filename, data, message):
    rows, errors = read_roster(filename, data)
    assert rows == [] and len(errors) == 1 and message in errors[0].message


async def test_a_roster_with_errors_imports_nothing(runtime):
    before = await _counts(runtime)
    rows, errors = read_roster("名册.xlsx", xlsx([["7", "1单元101", 95.5, "刘洋", "13912345678", None],
                                                 ["7", "1单元102", 95.5, "", "13912345679", None]]))
    community_id = await _community(runtime)
    with pytest.raises(RosterInvalid):
        async with transaction(runtime.sessions) as session:
            await import_roster(session, community_id=community_id, rows=rows, errors=errors, actor="test")
    assert await _counts(runtime) == before


async def _community(runtime) -> int:
    async with transaction(runtime.sessions) as session:
        return await session.scalar(select(Community.id).where(Community.code == "YGHY"))


async def test_a_clean_csv_in_gbk_creates_buildings_households_and_owners_once(any_runtime):
    data = "楼号,房间号,面积,姓名,手机,入住时间\n7号楼,1单元101,95.50,刘洋,13912345678,2021/3/1\n" \
           "7,1单元102,,王芳,,\n1,1单元101,90,张伟,13800001234,2015-06-01\n"
    rows, errors = read_roster("roster.csv", data.encode("gb18030"))
    assert errors == [] and [r.building for r in rows] == ["7栋", "7栋", "1栋"]
    community_id = await _community(any_runtime)
    households, residents, buildings = await _counts(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        result = await import_roster(session, community_id=community_id, rows=rows, actor="test")
    assert (result.buildings_created, result.households_created, result.residents_created) == (1, 2, 2)
    assert result.residents_updated == 1  # 张伟 of 1栋1单元101 got a move-in date
    assert await _counts(any_runtime) == (households + 2, residents + 2, buildings + 1)
    async with transaction(any_runtime.sessions) as session:
        again = await import_roster(session, community_id=community_id, rows=rows, actor="test")
        liu = await session.scalar(select(Resident).where(Resident.name == "刘洋"))
        assert liu.move_in == date(2021, 3, 1) and liu.phone == "13912345678"
        household = await session.get(Household, liu.household_id)
        assert household.area_m2 == Decimal("95.50")
    assert (again.households_created, again.residents_created, again.residents_updated) == (0, 0, 0)
    assert await _counts(any_runtime) == (households + 2, residents + 2, buildings + 1)
