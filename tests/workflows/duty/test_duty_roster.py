"""The duty roster (值班): shifts by weekday and local time (night shifts past midnight), who is on duty at a moment,
the fallback to every active guard when nobody is rostered, and the manager editing it in the back office (bad
values re-render with the error beside the field; security may look but not edit) and from the CLI."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.services import LINLI, linli_env
from workflows.community.models import Community
from workflows.db import transaction
from workflows.duty import service as duty
from workflows.duty.models import DutyShift
from workflows.staff.models import Role, StaffCommunity, StaffUser

MONDAY_10 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
MONDAY_23 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 23:00
TUESDAY_03 = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)  # Tuesday 03:00
SATURDAY_03 = datetime(2026, 12, 11, 19, 0, tzinfo=UTC)  # Saturday 03:00 (after Friday night)
SUNDAY_03 = datetime(2026, 12, 12, 19, 0, tzinfo=UTC)  # Sunday 03:00 (after Saturday night)


def _shift(weekdays: str, starts: str, ends: str) -> DutyShift:
    return DutyShift(community_id=1, staff_id=1, weekdays=weekdays, starts=duty.parse_time(starts, "starts"),
                     ends=duty.parse_time(ends, "ends"))


def test_a_day_shift_covers_its_hours_on_its_weekdays_only():
    day = _shift("12345", "08:00", "20:00")
    assert duty.covers(day, MONDAY_10) and not duty.covers(day, MONDAY_23) and not duty.covers(day, TUESDAY_03)
    assert not duty.covers(_shift("67", "08:00", "20:00"), MONDAY_10)


def test_a_night_shift_runs_past_midnight_and_belongs_to_the_day_it_starts():
    night = _shift("12345", "20:00", "08:00")
    assert night.overnight and duty.covers(night, MONDAY_23) and duty.covers(night, TUESDAY_03)
    assert not duty.covers(night, MONDAY_10)
    assert duty.covers(night, SATURDAY_03)  # Friday's night shift ends Saturday morning
    assert not duty.covers(night, SUNDAY_03)  # Saturday has no night shift
    assert duty.covers(_shift("1234567", "08:00", "08:00"), TUESDAY_03)  # a 24-hour shift


@pytest.mark.parametrize(("text", "days"), [("每天", "1234567"), ("1-5", "12345"), ("六日", "67"),
                                            ("周一、三、五", "135"), ("7,1", "17")])
def test_weekdays_are_read_as_staff_write_them(text, days):
    assert duty.parse_weekdays(text) == days


@pytest.mark.parametrize("bad", ["25:00", "8:61", "早上", ""])
def test_a_bad_time_is_refused_with_an_example(bad):
    with pytest.raises(duty.DutyError, match="08:00"):
        duty.parse_time(bad, "starts")


async def _second_guard(session) -> tuple[StaffUser, StaffUser, int]:
    first = await session.scalar(select(StaffUser).where(StaffUser.username == "baoan"))
    community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
    second = StaffUser(username="qian.baoan", display_name="钱保安", role=Role.SECURITY, wechat_openid="wx-qian")
    second.assignments.append(StaffCommunity(community_id=community_id))
    session.add(second)
    await session.flush()
    return first, second, community_id


async def test_nobody_rostered_means_every_active_guard_and_a_roster_narrows_it(runtime):
    async with transaction(runtime.sessions) as session:
        first, second, community_id = await _second_guard(session)
        everyone = await duty.on_duty_security(session, community_id=community_id, at=MONDAY_10)
        assert not everyone.rostered and [g.id for g in everyone.staff] == [first.id, second.id]
        await duty.add_shift(session, community_id=community_id, staff_id=second.id, weekdays="1-5",
                             starts="08:00", ends="20:00", label="白班", actor="test")
        await duty.add_shift(session, community_id=community_id, staff_id=first.id, weekdays="每天",
                             starts="20:00", ends="08:00", label="夜班", actor="test")
        day = await duty.on_duty_security(session, community_id=community_id, at=MONDAY_10)
        night = await duty.on_duty_security(session, community_id=community_id, at=TUESDAY_03)
        assert day.rostered and [g.id for g in day.staff] == [second.id]
        assert night.rostered and [g.id for g in night.staff] == [first.id]
        saturday_noon = datetime(2026, 12, 12, 4, 0, tzinfo=UTC)  # a gap in the roster: everyone again
        gap = await duty.on_duty_security(session, community_id=community_id, at=saturday_noon)
        assert not gap.rostered and len(gap.staff) == 2
        second.active = False  # a deactivated guard is on duty for nobody
        await session.flush()
        after = await duty.on_duty_security(session, community_id=community_id, at=MONDAY_10)
        assert not after.rostered and [g.id for g in after.staff] == [first.id]


async def test_only_an_active_guard_of_the_community_can_be_rostered(runtime):
    async with transaction(runtime.sessions) as session:
        community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        technician = await session.scalar(select(StaffUser).where(StaffUser.username == "wang.shifu"))
        with pytest.raises(duty.DutyError) as refused:
            await duty.add_shift(session, community_id=community_id, staff_id=technician.id, weekdays="每天",
                                 starts="08:00", ends="20:00", actor="test")
        assert refused.value.field == "staff_id"


async def test_the_manager_edits_the_roster_in_the_back_office_and_security_only_looks(runtime):
    from tests.backoffice.helpers import staff_client

    async with runtime.sessions() as session:
        community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        guard_id = await session.scalar(select(StaffUser.id).where(StaffUser.username == "baoan"))
    async with staff_client(runtime, "manager") as client:
        page = await client.page("/admin/duty")
        assert page.status_code == 200 and "还没有排班" in page.text and "赵保安" in page.text
        bad = await client.submit("/admin/duty", {"community_id": community_id, "staff_id": guard_id,
                                                  "weekdays": "每天", "starts": "25:00", "ends": "08:00"})
        assert bad.status_code == 400 and 'id="err-starts"' in bad.text and "25:00" in bad.text
        good = await client.submit("/admin/duty", {"community_id": community_id, "staff_id": guard_id,
                                                   "weekdays": "每天", "starts": "20:00", "ends": "08:00",
                                                   "label": "夜班"})
        assert good.status_code == 303
        page = await client.page("/admin/duty")
        assert "20:00–次日08:00" in page.text and "夜班" in page.text
        listed = (await client.api("GET", "/admin/api/duty")).json()
        [shift] = [s for c in listed["communities"] for s in c["shifts"]]
        assert shift["starts"] == "20:00" and shift["ends"] == "08:00"
    async with staff_client(runtime, "baoan") as client:
        assert (await client.page("/admin/duty")).status_code == 200
        refused = await client.submit("/admin/duty", {"community_id": community_id, "staff_id": guard_id,
                                                      "weekdays": "每天", "starts": "08:00", "ends": "20:00"})
        assert refused.status_code == 403
        assert (await client.submit(f"/admin/duty/{shift['id']}/remove")).status_code == 403
    async with staff_client(runtime, "manager") as client:
        assert (await client.submit(f"/admin/duty/{shift['id']}/remove")).status_code == 303
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(DutyShift))) == []


def test_the_cli_adds_lists_and_removes_a_shift(settings):
    env = linli_env(settings)

    def linli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(LINLI), "duty", *args], env=env, capture_output=True, text=True, timeout=120,
                              check=False)

    added = linli("add", "--community", "YGHY", "--staff", "baoan", "--days", "1-5", "--from", "8:00",
                  "--to", "20:00", "--label", "白班")
    assert added.returncode == 0, added.stderr
    assert "周一至周五 08:00–20:00" in added.stdout
    listed = linli("list", "--community", "YGHY")
    assert "baoan" in listed.stdout and "白班" in listed.stdout
    refused = linli("add", "--staff", "wang.shifu", "--from", "8:00", "--to", "20:00")
    assert refused.returncode == 2 and "staff_id" in refused.stdout
    shift_id = added.stdout.split()[1].rstrip(":")
    assert linli("remove", shift_id).returncode == 0
    assert "白班" not in linli("list").stdout
