"""Staff accounts: creation checks, argon2 hashes, `linli staff create`, invite codes that work once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from workflows.db import transaction
from workflows.staff.models import Role, StaffUser
from workflows.staff.passwords import verify_password
from workflows.staff.service import StaffError, bind_staff_wechat, create_staff, issue_invite_code

LINLI = Path(sys.executable).with_name("linli")


async def test_a_new_staff_member_gets_an_argon2_hash_and_their_community(runtime):
    async with transaction(runtime.sessions) as session:
        staff = await create_staff(session, username="Zhao.Shifu", display_name="赵师傅", role=Role.TECHNICIAN,
                                   community_codes=["YGHY"], password="good-password-1")
        assert staff.username == "zhao.shifu" and staff.password_hash.startswith("$argon2id$")
        assert verify_password(staff.password_hash, "good-password-1") and len(staff.community_ids) == 1


@pytest.mark.parametrize("values,field", [
    ({"username": "manager"}, "username"),
    ({"username": "bad name!"}, "username"),
    ({"password": "short"}, "new_password"),
    ({"community_codes": ["NOPE"]}, "community"),
    ({"community_codes": []}, "community"),
])
async def test_bad_staff_values_name_their_field(runtime, values, field):
    arguments = {"username": "new.person", "display_name": "新人", "role": Role.FRONT_DESK,
                 "community_codes": ["YGHY"], "password": "good-password-1", **values}
    async with transaction(runtime.sessions) as session:
        with pytest.raises(StaffError) as caught:
            await create_staff(session, **arguments)
    assert caught.value.field == field


async def test_an_invite_code_binds_one_wechat_once(runtime):
    async with transaction(runtime.sessions) as session:
        staff = await session.scalar(select(StaffUser).where(StaffUser.username == "baoan"))
        code = await issue_invite_code(session, staff=staff, actor="test")
        assert len(code) == 6 and not set(code) & set("01OI")
    async with transaction(runtime.sessions) as session:
        assert (await bind_staff_wechat(session, code=code.lower(), openid="guard-openid")).username == "baoan"
        assert await bind_staff_wechat(session, code=code, openid="someone-else") is None


def test_linli_staff_create_from_the_command_line(settings):
    env = {**os.environ, "LINLI_DATABASE_URL": settings.database_url, "LINLI_MEDIA_DIR": settings.media_dir,
           "LINLI_CHROMA_PATH": settings.chroma_path}
    done = subprocess.run([str(LINLI), "staff", "create", "--username", "qian.kefu", "--name", "钱客服", "--role",
                           "front_desk", "--community", "YGHY", "--password", "qian-password-1"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "created staff" in done.stdout
    again = subprocess.run([str(LINLI), "staff", "create", "--username", "qian.kefu", "--role", "front_desk",
                            "--community", "YGHY", "--password", "qian-password-1"],
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    assert again.returncode == 1 and "已经有人用了" in again.stdout
