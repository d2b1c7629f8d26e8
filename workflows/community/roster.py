"""Roster import (业主名册导入) from xlsx or csv: building, room, area, owner name, phone, move-in date.

`read_roster` parses and checks every row (per-row errors, nothing touched); `import_roster` applies a clean roster
inside the caller's transaction and refuses any roster with errors, so an import is all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.audit.service import record_event
from workflows.community.models import Building, Household, Resident, ResidentRole

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024  # the upload as sent (an xlsx is compressed)
MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # the xlsx's parts once unpacked: a 5,000-row roster needs a few MB
MAX_SCANNED_ROWS = MAX_ROWS + 1000  # rows read (blank ones included) before giving up: the header and some slack
HEADERS = {  # column -> the words people put in the header row
    "building": ("楼栋", "楼号", "栋", "楼", "building"),
    "room": ("房号", "房间", "房间号", "门牌", "室", "room"),
    "area_m2": ("面积", "建筑面积", "面积(㎡)", "面积（㎡）", "面积m2", "area", "area_m2"),
    "owner_name": ("业主", "业主姓名", "姓名", "owner", "owner_name", "name"),
    "phone": ("电话", "手机", "手机号", "联系电话", "phone"),
    "move_in": ("入住日期", "入住时间", "入住", "move_in", "move-in"),
}
REQUIRED = ("building", "room", "owner_name")
LABELS = {"building": "楼栋", "room": "房号", "area_m2": "面积", "owner_name": "业主姓名", "phone": "电话",
          "move_in": "入住日期", "file": "文件"}
HEADER_HINT = "第一行应是表头，例如 楼栋、房号、面积、业主姓名、电话、入住日期"
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")


@dataclass(frozen=True)
class RosterRow:
    line: int  # the row number in the file, as the spreadsheet shows it
    building: str
    room: str
    area_m2: Decimal | None
    owner_name: str
    phone: str
    move_in: date | None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["area_m2"] = None if self.area_m2 is None else str(self.area_m2)
        data["move_in"] = None if self.move_in is None else self.move_in.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RosterRow:
        return cls(line=data["line"], building=data["building"], room=data["room"],
                   area_m2=None if data["area_m2"] is None else Decimal(data["area_m2"]),
                   owner_name=data["owner_name"], phone=data["phone"],
                   move_in=None if data["move_in"] is None else date.fromisoformat(data["move_in"]))


@dataclass(frozen=True)
class RowError:
    line: int  # 0: the file as a whole
    field: str
    message: str

    @property
    def label(self) -> str:
        return LABELS.get(self.field, self.field)


class RosterInvalid(Exception):
    """The roster has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    households_created: int
    households_updated: int
    residents_created: int
    residents_updated: int
    buildings_created: int


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


TOO_MANY_ROWS = RowError(0, "file", f"一次最多导入 {MAX_ROWS} 行")


def _bounded(rows: Iterator[Any]) -> list[list[Any]]:
    """Read rows one by one and stop past MAX_SCANNED_ROWS: a file claiming 400,000 rows is never materialised."""
    table: list[list[Any]] = []
    for row in rows:
        if len(table) >= MAX_SCANNED_ROWS:
            raise RosterInvalid([TOO_MANY_ROWS])
        table.append(list(row))
    return table


def _check_unpacked(data: bytes) -> None:
    """Refuse an xlsx whose parts would unpack to more than MAX_UNPACKED_BYTES (sizes from the zip directory, and
    openpyxl reads no more than a part's stated size)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise RosterInvalid([TOO_MANY_ROWS])


def read_table(filename: str, data: bytes) -> list[list[Any]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        _check_unpacked(data)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _bounded(workbook.active.iter_rows(values_only=True))
        finally:
            workbook.close()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves csv as GBK
            try:
                return _bounded(csv.reader(io.StringIO(data.decode(encoding))))
            except UnicodeDecodeError:
                continue
    raise RosterInvalid([RowError(0, "file", "请上传 .xlsx 或 .csv 文件")])


def header_columns(header: list[Any], headers: dict[str, tuple[str, ...]] = HEADERS) -> dict[str, int]:
    """column → its index, from a header row whose words are any of `headers`' (the bank-debit import shares it)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        word = cell_text(cell).replace(" ", "").lower()
        for column, words in headers.items():
            if column not in found and word in {w.lower() for w in words}:
                found[column] = index
    return found


def cell_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


def building_name(value: str) -> str:
    """"3" and "3号楼" are both 3栋, the way the demo and most rosters name buildings."""
    value = value.replace(" ", "")
    match = re.fullmatch(r"(\d+)(号楼|号|幢|栋)?", value)
    return f"{match.group(1)}栋" if match else value


def _row(line: int, cells: list[Any], columns: dict[str, int]) -> tuple[RosterRow | None, list[RowError]]:
    def cell(column: str) -> Any:
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    errors: list[RowError] = []
    values = {column: cell_text(cell(column)) for column in HEADERS}
    for column in REQUIRED:
        if not values[column]:
            errors.append(RowError(line, column, f"{LABELS[column]}不能为空"))
    if len(values["owner_name"]) > 50:
        errors.append(RowError(line, "owner_name", "姓名太长（最多 50 个字）"))
    if len(values["room"]) > 32 or len(values["building"]) > 32:
        errors.append(RowError(line, "room", "楼栋或房号太长"))
    area = None
    if values["area_m2"]:
        try:
            area = Decimal(values["area_m2"].rstrip("㎡m2 ")).quantize(Decimal("0.01"))
            if not Decimal("0") < area < Decimal("10000"):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(RowError(line, "area_m2", f"面积“{values['area_m2']}”不是合理的数字，例如 89.5"))
            area = None
    phone = values["phone"].replace(" ", "")
    if phone and not PHONE.fullmatch(phone):
        errors.append(RowError(line, "phone", f"电话“{values['phone']}”格式不对，例如 13800001234"))
    move_in = None
    if cell("move_in") not in (None, ""):
        try:
            move_in = cell_date(cell("move_in"))
        except ValueError:
            errors.append(RowError(line, "move_in", f"日期“{values['move_in']}”看不懂，例如 2020-05-01"))
    if errors:
        return None, errors
    return RosterRow(line=line, building=building_name(values["building"]), room=values["room"].replace(" ", ""),
                     area_m2=area, owner_name=values["owner_name"], phone=phone, move_in=move_in), []


def read_roster(filename: str, data: bytes) -> tuple[list[RosterRow], list[RowError]]:
    """Parse an uploaded roster; returns the good rows and every error (row number, column, what is wrong).
    CPU-bound: callers on an event loop run it in a thread (asyncio.to_thread)."""
    if len(data) > MAX_BYTES:
        return [], [RowError(0, "file", "文件太大（最大 5 MB）")]
    try:
        table = read_table(filename, data)
    except RosterInvalid as exc:
        return [], exc.errors
    except Exception:  # noqa: BLE001 - a broken upload is the owner's problem to fix, reported plainly
        return [], [RowError(0, "file", "文件打不开，请确认是 Excel（.xlsx）或 CSV 文件")]
    table = [row for row in table if any(cell_text(c) for c in row)]
    if not table:
        return [], [RowError(0, "file", "文件是空的")]
    columns = header_columns(table[0])
    missing = [LABELS[c] for c in REQUIRED if c not in columns]
    if missing:
        return [], [RowError(1, "file", f"表头缺少：{'、'.join(missing)}（{HEADER_HINT}）")]
    if len(table) - 1 > MAX_ROWS:
        return [], [RowError(0, "file", f"一次最多导入 {MAX_ROWS} 行")]
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in enumerate(table[1:], start=2):
        row, row_errors = _row(line, cells, columns)
        errors.extend(row_errors)
        if row is None:
            continue
        key = (row.building, row.room, row.owner_name)
        if key in seen:
            errors.append(RowError(line, "room", f"和第 {seen[key]} 行重复"))
            continue
        seen[key] = line
        rows.append(row)
    return rows, errors


async def import_roster(session: AsyncSession, *, community_id: int, rows: list[RosterRow],
                        errors: list[RowError] | None = None, actor: str) -> ImportResult:
    """Apply a clean roster in the caller's transaction: buildings and households created or updated, owners
    added or their phone and move-in date updated. Any error → RosterInvalid, and the caller's rollback
    leaves nothing behind."""
    if errors:
        raise RosterInvalid(errors)
    if not rows:
        raise RosterInvalid([RowError(0, "file", "没有可导入的行")])
    existing = await session.scalars(select(Building).where(Building.community_id == community_id))
    buildings = {b.name: b for b in existing}
    counts = dict(households_created=0, households_updated=0, residents_created=0, residents_updated=0,
                  buildings_created=0)
    for row in rows:
        building = buildings.get(row.building)
        if building is None:
            building = Building(community_id=community_id, name=row.building, sort_key=len(buildings) + 1)
            session.add(building)
            await session.flush()
            buildings[row.building] = building
            counts["buildings_created"] += 1
        household = await session.scalar(select(Household).where(Household.building_id == building.id,
                                                                 Household.room == row.room))
        if household is None:
            household = Household(community_id=community_id, building_id=building.id, room=row.room,
                                  area_m2=row.area_m2 or Decimal("0"))
            session.add(household)
            await session.flush()
            counts["households_created"] += 1
        elif row.area_m2 is not None and household.area_m2 != row.area_m2:
            household.area_m2 = row.area_m2
            counts["households_updated"] += 1
        owner = await session.scalar(select(Resident).where(Resident.household_id == household.id,
                                                            Resident.name == row.owner_name))
        if owner is None:
            session.add(Resident(community_id=community_id, household_id=household.id, name=row.owner_name,
                                 phone=row.phone, role=ResidentRole.OWNER, move_in=row.move_in))
            counts["residents_created"] += 1
        elif (row.phone and owner.phone != row.phone) or (row.move_in and owner.move_in != row.move_in):
            owner.phone = row.phone or owner.phone
            owner.move_in = row.move_in or owner.move_in
            counts["residents_updated"] += 1
    await session.flush()
    record_event(session, entity_type="roster", entity_id=community_id, action="import", actor=actor,
                 community_id=community_id, data={**counts, "rows": len(rows)})
    return ImportResult(**counts)


# --- editing one household or resident from the back office (名册维护) ---------------------------------------------


def check_resident(*, name: str, phone: str) -> dict[str, str]:
    """Field errors for a resident form (empty when fine)."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "请填写姓名"
    elif len(name.strip()) > 50:
        errors["name"] = "姓名太长"
    if phone.strip() and not PHONE.fullmatch(phone.strip()):
        errors["phone"] = "电话格式不对，例如 13800001234"
    return errors


async def update_household(session: AsyncSession, *, household: Household, area_m2: Decimal,
                           occupancy: str, actor: str) -> None:
    """Change area and occupancy (自住/出租/空置), with before/after in the audit row."""
    from workflows.community.models import Occupancy

    before = {"area_m2": str(household.area_m2), "occupancy": household.occupancy.value}
    household.area_m2, household.occupancy = area_m2, Occupancy(occupancy)
    record_event(session, entity_type="household", entity_id=household.id, action="update", actor=actor,
                 community_id=household.community_id,
                 data={"before": before, "after": {"area_m2": str(area_m2), "occupancy": occupancy}})


async def save_resident(session: AsyncSession, *, household: Household, resident: Resident | None, name: str,
                        phone: str, role: str, actor: str) -> Resident:
    """Add a resident to the household (resident=None) or change one; before/after in the audit row."""
    before = None if resident is None else {"name": resident.name, "phone": resident.phone,
                                            "role": resident.role.value}
    if resident is None:
        resident = Resident(community_id=household.community_id, household_id=household.id, name=name.strip(),
                            phone=phone.strip(), role=ResidentRole(role))
        session.add(resident)
        await session.flush()
    else:
        resident.name, resident.phone, resident.role = name.strip(), phone.strip(), ResidentRole(role)
    record_event(session, entity_type="resident", entity_id=resident.id, action="add" if before is None else "update",
                 actor=actor, community_id=household.community_id,
                 data={"before": before, "after": {"name": resident.name, "phone": resident.phone, "role": role}})
    return resident
