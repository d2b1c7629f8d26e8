"""门岗登记 from a guard's own WeChat (staff bound with 员工绑定): household → visitor's name → plate (optional) →
gate → one call to devices.walk_ins.register_at_gate, the same one the back office's 访客 page makes. The owner is
asked 「访客 X 到访 Y，是否同意？」; their 1/2, the gate's result and a timeout reach the guard here through the outbox
(workflows.visitors.walkins.tell_guard). Free text fills several slots: 「登记访客 快递员小李 1栋1单元101 沪A12345」.

A guard's 登记访客 / 访客登记 / 访客 is claimed here (Dialog.claims) before the owners' 访客登记 dialog sees
it; 门岗登记 is its own trigger. Who may register is workflows.access's answer (section walk_ins)."""

from __future__ import annotations

import re
from typing import Any

from bot.context import DialogContext
from bot.dialogs.parsers import always
from bot.dialogs.spec import Abort, Choice, Dialog, Invalid, Slot
from bot.dialogs.visitor import parse_name, parse_plate
from bot.dialogs.words import normalize
from devices.walk_ins import register_at_gate
from workflows.community.service import find_building_id, find_household_ids
from workflows.visitors import walkins
from workflows.visitors.models import WalkInStatus
from workflows.visitors.plates import find_plate

WORDS = ("登记访客", "访客登记", "门岗登记", "来访登记", "访客")
STAFF_ONLY = "门岗登记只供物业员工使用。员工请先在后台「我的账号」生成绑定码，再发送「员工绑定 绑定码」。"
NOT_ALLOWED = "您的岗位不能登记访客，请联系门岗或客服。"
ASK_COMMUNITY = "登记哪个小区的访客？"
ASK_HOME = "访客去哪一户？请发楼栋和房号。"
HOME_UNKNOWN = "没有找到这一户，请发楼栋和房号。"
HOME_AMBIGUOUS = "这个房号有好几户，请带上单元，例如 1栋1单元101。"
ASK_NAME = "访客怎么称呼？"
ASK_PLATE = "访客的车牌号？步行来的回复「跳过」。"
ASK_GATE = "业主同意后开哪个闸机？"
MANUAL = "不开闸，人工放行"
ASKED = ("已登记访客 {name}（{number}），正在询问 {home} 的业主（{minutes} 分钟内答复）。"
         "业主同意后{gate}，结果会在这里告诉您。")
GATE_WILL_OPEN = "闸机会自动开启"
GATE_MANUAL = "请人工放行"
CALL_OWNER = "已登记访客 {name}（{number}）。{home} 没有绑定微信的业主，请电话联系业主，号码已发给您。"
ADMITTED = "已登记访客 {name}（{number}）。本小区访客无需业主同意，{gate}"
# 1栋1单元101 / 1号楼101 / 一栋302 / 1-1-101: the building, then the room
HOME = re.compile(r"(第?[0-9一二两三四五六七八九十]+\s*(?:号楼|栋|幢|座)|[0-9]+(?=[-—－]))\s*[-—－]?\s*"
                  r"((?:[0-9一二三四五六七八九十]+\s*单元\s*)?[0-9]{2,5}\s*(?:室|号)?)")

PLATE_TEXT = re.compile(r"(车牌号?[是:：]?)?\s*[\u4e00-\u9fff]\s*[A-Za-z]\s*[A-Za-z0-9]{5,6}")


def _word(text: str) -> str:
    return normalize(text)


async def claims(text: str, ctx: DialogContext) -> bool:
    """A guard (or anyone allowed to register visitors) starting with 登记访客/访客登记/访客: theirs is a walk-in."""
    if not _word(text).startswith(WORDS):
        return False
    async with ctx.runtime.sessions() as session:
        return await walkins.may_register(session, openid=ctx.openid)


async def the_guard(ctx: DialogContext) -> dict[str, Any]:
    """The staff member behind this openid and the communities they register for; Abort for anyone else."""
    async with ctx.runtime.sessions() as session:
        registrar = await walkins.registrar_for(session, openid=ctx.openid)
    if registrar.refused:
        raise Abort(STAFF_ONLY if registrar.refused == walkins.STAFF_ONLY else NOT_ALLOWED)
    return {"id": registrar.staff_id, "communities": [list(c) for c in registrar.communities]}


def _communities(ctx: DialogContext) -> list[list[Any]]:
    return (ctx.values.get("guard") or {}).get("communities") or []


def one_community(ctx: DialogContext) -> bool:
    return len(_communities(ctx)) == 1


async def the_only_community(ctx: DialogContext) -> int:
    return _communities(ctx)[0][0]


async def community_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(cid, name) for cid, name in _communities(ctx)]


async def _find_home(ctx: DialogContext, community_id: int, text: str) -> int:
    match = HOME.search(text)
    if match is None:
        raise Invalid(HOME_UNKNOWN)
    async with ctx.runtime.sessions() as session:
        building_id = await find_building_id(session, community_id=community_id, text=match.group(1))
        found = await find_household_ids(session, building_id=building_id, room_text=match.group(2)) \
            if building_id else []
    if len(found) > 1:
        raise Invalid(HOME_AMBIGUOUS)
    if not found:
        raise Invalid(HOME_UNKNOWN)
    return found[0]


async def parse_home(text: str, ctx: DialogContext) -> int:
    return await _find_home(ctx, ctx.values["community"], text)


async def community_gates(ctx: DialogContext) -> list[list[Any]]:
    """The community's gates and doors as [id, label], read once when the dialog reaches the gate."""
    async with ctx.runtime.sessions() as session:
        gates = await walkins.gates_of(session, community_id=ctx.values["community"])
    return [[gate_id, f"{name}（{location}）" if location else name] for gate_id, name, location in gates]


def no_gates(ctx: DialogContext) -> bool:
    return not ctx.facts.get("gate")


async def manual(ctx: DialogContext) -> int:
    return 0


async def gate_choices(ctx: DialogContext) -> list[Choice]:
    return [*(Choice(gate_id, label) for gate_id, label in ctx.facts.get("gate") or []),
            Choice(0, MANUAL, ("不开", "不开闸"))]


async def extract(text: str, ctx: DialogContext) -> dict[str, Any]:
    """「登记访客 快递员小李 1栋1单元101 沪A12345」: the home (when the guard registers for one community), the plate
    and what is left as the visitor's name."""
    rest = re.sub(r"^\s*(" + "|".join(WORDS) + r")\s*", "", text or "")
    guard = await the_guard(ctx)
    found: dict[str, Any] = {"guard": guard}
    plate = find_plate(rest)
    if plate:
        found["plate"] = plate
        rest = PLATE_TEXT.sub(" ", rest, count=1)
    home = HOME.search(rest)
    if home and len(guard["communities"]) == 1:
        try:
            found["home"] = await _find_home(ctx, guard["communities"][0][0], home.group(0))
            rest = rest.replace(home.group(0), " ")
        except Invalid:
            pass
    name = re.sub(r"[\s,，。、]+", " ", rest).strip()
    if name and len(name) <= 20 and not re.search(r"\d", name):
        found["visitor_name"] = name
    return found


async def register(ctx: DialogContext) -> str:
    values = ctx.values
    gateway = getattr(ctx.services, "device_gateway", None)
    done = await register_at_gate(ctx.runtime, guard_id=values["guard"]["id"], community_id=values["community"],
                                  household_id=values["home"], visitor_name=values["visitor_name"],
                                  plate=values.get("plate") or "", gate_device_id=values.get("gate") or None,
                                  wake=gateway.wake if gateway else None)
    async with ctx.runtime.sessions() as session:
        home = await walkins.home_label(session, values["home"])
    name = values["visitor_name"]
    if done.status == WalkInStatus.APPROVED:
        return ADMITTED.format(name=name, number=done.number, gate=walkins.gate_sentence(done.gate_result))
    if done.status == WalkInStatus.TIMED_OUT:
        return CALL_OWNER.format(name=name, number=done.number, home=home)
    return ASKED.format(name=name, number=done.number, home=home, minutes=done.minutes,
                        gate=GATE_WILL_OPEN if values.get("gate") else GATE_MANUAL)


GUARD_WALK_IN = Dialog(
    name="guard_walk_in", title="门岗登记", triggers=("门岗登记",), in_help=False, claims=claims,
    description="门岗登记：保安在微信里登记到访的访客，业主同意后开闸（工作人员用）",
    slots=(Slot("guard", "", skip_if=always, default=the_guard, accepts=frozenset()),
           Slot("community", ASK_COMMUNITY, choices=community_choices, skip_if=one_community,
                default=the_only_community, label="小区"),
           Slot("home", ASK_HOME, parse=parse_home, example="1栋1单元101", label="房屋"),
           Slot("visitor_name", ASK_NAME, parse=parse_name, example="快递员小李", label="访客"),
           Slot("plate", ASK_PLATE, parse=parse_plate, optional=True, example="沪A12345", label="车牌"),
           Slot("gate", ASK_GATE, choices=gate_choices, facts=community_gates, skip_if=no_gates, default=manual,
                label="闸机")),
    extract=extract, submit=register,
)
