"""员工绑定 CODE: a staff member binds their WeChat with the invite code from the back office (我的账号)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.context import DialogContext
from bot.dialogs.spec import Dialog, Invalid, Slot
from workflows.db import transaction
from workflows.staff.models import ROLE_LABELS
from workflows.staff.service import bind_staff_wechat

ASK = "请输入后台「我的账号」页面上的 6 位绑定码："
BAD_FORMAT = "绑定码是 6 位字母和数字"
UNKNOWN = "这个绑定码不对或已经用过了。请在后台「我的账号」重新生成绑定码后再试。"
DONE = "绑定成功！{name}（{role}），以后新的工单和审批会在这里提醒您。"
CODE = re.compile(r"[A-Za-z0-9]{6}")


def _code(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


async def parse_code(text: str, ctx: DialogContext) -> str:
    code = _code(text)
    if not CODE.fullmatch(code):
        raise Invalid(BAD_FORMAT)
    return code


async def extract_code(text: str, ctx: DialogContext) -> dict[str, Any]:
    """"员工绑定 K7QX2M" carries the code."""
    match = re.fullmatch(r"员工绑定\s*([A-Za-z0-9]{6})", unicodedata.normalize("NFKC", text).strip())
    return {"code": match.group(1).upper()} if match else {}


async def bind(ctx: DialogContext) -> str:
    async with transaction(ctx.runtime.sessions) as session:
        staff = await bind_staff_wechat(session, code=ctx.values["code"], openid=ctx.openid)
        if staff is None:
            return UNKNOWN
        return DONE.format(name=staff.display_name, role=ROLE_LABELS[staff.role])


STAFF_BIND = Dialog(
    name="staff_bind", title="员工绑定", triggers=("员工绑定",), in_help=False,
    description="员工绑定：物业员工用后台生成的绑定码绑定微信",
    slots=(Slot("code", ASK, parse=parse_code, example="K7QX2M", label="绑定码"),),
    extract=extract_code, submit=bind,
)
