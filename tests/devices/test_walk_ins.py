"""Walk-in visitors: the guard registers, the owner answers 1 同意 / 2 拒绝 in chat, approval opens the gate through
the broker and tells the guard; another openid's answer is ignored; no answer in time → the guard is told to call;
the broker down → the owner hears the gate cannot be opened remotely and the guard is told, the command recorded."""

from datetime import timedelta

from sqlalchemy import select

from tests.bot.owners import Owner, make_bot
from tests.devices.conftest import start_gateway, start_simulator
from workflows.clock import utcnow
from workflows.community.models import Building, Household
from workflows.db import transaction
from workflows.devices.models import CommandStatus, Device, DeviceCommand
from workflows.outbox.models import OutboxMessage
from workflows.staff.models import StaffUser
from workflows.visitors import walkins
from workflows.visitors.models import VisitorEntry, WalkIn, WalkInStatus
from workflows.visitors.policy import set_visitor_policy


async def _register(runtime, *, gate="gate-south-in") -> int:
    async with transaction(runtime.sessions) as session:
        guard = await session.scalar(select(StaffUser).where(StaffUser.username == "baoan"))
        guard.wechat_openid = "wx-baoan"
        home = await session.scalar(select(Household).join(Building).where(Building.name == "1栋",
                                                                          Household.room == "1单元101"))
        device_id = await session.scalar(select(Device.id).where(Device.code == gate)) if gate else None
        walk_in = await walkins.register_walk_in(session, community_id=home.community_id, household_id=home.id,
                                                 guard=guard, visitor_name="快递员小李", plate="沪A12345",
                                                 gate_device_id=device_id)
        return walk_in.id


async def _walk_in(runtime, walk_in_id) -> WalkIn:
    async with runtime.sessions() as session:
        return await session.get(WalkIn, walk_in_id)


async def _texts_to(runtime, openid) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r.payload.get("text", "") for r in rows if r.payload.get("openid") == openid]


async def _owner(runtime, openid="chat-owner-101"):
    bot = make_bot(runtime)
    owner = Owner(bot, openid=openid)
    await owner.bind_demo_flat()
    return bot, owner


async def test_the_owner_approves_and_the_gate_opens_and_the_guard_is_told(runtime, broker, topic_root, running):
    await start_gateway(runtime, running, url=broker, root=topic_root)
    sim = await start_simulator(running, url=broker, root=topic_root)
    bot, owner = await _owner(runtime)
    try:
        walk_in_id = await _register(runtime)
        [asked] = await _texts_to(runtime, owner.openid)
        assert "访客 快递员小李（车牌 沪A12345） 到访 1栋1单元101" in asked and "回复 1 同意，2 拒绝" in asked
        reply = await owner.say("1")
        assert "门已为访客 快递员小李 打开" in reply
        walk_in = await _walk_in(runtime, walk_in_id)
        assert walk_in.status == WalkInStatus.APPROVED and walk_in.gate_result == "opened"
        assert sim.by_code["gate-south-in"].executed == [walk_in.command_id]
        assert any("业主已同意" in t and "闸机已开启" in t for t in await _texts_to(runtime, "wx-baoan"))
    finally:
        await bot.transcript.stop()


async def test_an_answer_from_another_openid_is_ignored_and_a_denial_is_told_to_the_guard(runtime):
    bot, owner = await _owner(runtime)
    stranger = Owner(bot, openid="chat-someone-else")  # not bound to 1单元101
    try:
        walk_in_id = await _register(runtime, gate=None)
        await stranger.say("1")
        assert (await _walk_in(runtime, walk_in_id)).status == WalkInStatus.PENDING
        assert "已拒绝" in await owner.say("2")
        assert (await _walk_in(runtime, walk_in_id)).status == WalkInStatus.DENIED
        assert any("请勿放行" in t for t in await _texts_to(runtime, "wx-baoan"))
        assert "门口" not in await owner.say("1")  # a later "1" starts nothing: the request is decided
        async with runtime.sessions() as session:
            entries = list(await session.scalars(select(VisitorEntry)))
        assert [(e.method, e.reason) for e in entries] == [("walk_in", "denied")]
    finally:
        await bot.transcript.stop()


async def test_no_answer_in_time_tells_the_guard_to_call_the_owner(runtime):
    bot, _ = await _owner(runtime)
    await bot.transcript.stop()
    walk_in_id = await _register(runtime)
    async with transaction(runtime.sessions) as session:
        assert await walkins.time_out_unanswered(session) == []
        [late] = await walkins.time_out_unanswered(session, now=utcnow() + timedelta(minutes=4))
        assert late.id == walk_in_id and late.status == WalkInStatus.TIMED_OUT
    assert any("请电话联系业主：13800001234" in t for t in await _texts_to(runtime, "wx-baoan"))


async def test_a_community_without_approval_admits_at_once(runtime):
    async with transaction(runtime.sessions) as session:
        community_id = await session.scalar(select(Device.community_id).where(Device.code == "gate-south-in"))
        await set_visitor_policy(session, community_id=community_id, approval_required=False,
                                 approval_timeout_minutes=3, free_parking_minutes=60)
    walk_in = await _walk_in(runtime, await _register(runtime))
    assert walk_in.status == WalkInStatus.APPROVED and walk_in.decided_by == "policy"


async def test_with_the_broker_down_the_owner_is_told_and_the_guard_notified_nothing_lost(runtime, topic_root,
                                                                                          running):
    await start_gateway(runtime, running, url="mqtt://127.0.0.1:1", root=topic_root, wait=False)
    bot, owner = await _owner(runtime)
    try:
        walk_in_id = await _register(runtime)
        reply = await owner.say("同意")
        assert "门无法远程打开" in reply and "设备网关" in reply and "人工放行" in reply
        walk_in = await _walk_in(runtime, walk_in_id)
        assert walk_in.status == WalkInStatus.APPROVED and walk_in.gate_result == "broker_down"
        async with runtime.sessions() as session:
            command = await session.scalar(select(DeviceCommand).where(DeviceCommand.command_id == walk_in.command_id))
        assert command.status == CommandStatus.FAILED and command.error == "broker unavailable"
        assert any("闸机未能远程开启（设备网关未连接）" in t for t in await _texts_to(runtime, "wx-baoan"))
    finally:
        await bot.transcript.stop()


async def test_with_no_owner_bound_the_guard_is_told_to_call_at_once_and_it_is_audited(runtime):
    walk_in_id = await _register(runtime)
    assert (await _walk_in(runtime, walk_in_id)).status == WalkInStatus.TIMED_OUT
    from workflows.audit.models import AuditEvent

    async with runtime.sessions() as session:
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "walk_in",
                                                                             AuditEvent.entity_id == str(walk_in_id))))
    assert "tell_guard:timed_out" in actions


async def test_a_guard_registers_a_walk_in_on_the_visitors_page(runtime):
    from tests.backoffice.helpers import staff_client

    bot, owner = await _owner(runtime)
    await bot.transcript.stop()
    async with runtime.sessions() as session:
        building_id = await session.scalar(select(Building.id).where(Building.name == "1栋"))
        community_id = await session.scalar(select(Device.community_id).where(Device.code == "gate-south-in"))
    async with staff_client(runtime, "baoan") as client:
        page = await client.page("/admin/visitors")
        assert page.status_code == 200 and "门岗登记" in page.text
        answer = await client.submit("/admin/visitors/walk-in", {"building_id": building_id, "room": "1单元101",
                                                                  "visitor_name": "送水师傅", "people": 1})
        assert answer.status_code == 303
        page = await client.page("/admin/visitors")
        assert "送水师傅" in page.text and "等待业主答复" in page.text
        rules = await client.submit("/admin/visitors/rules", {"community_id": community_id,
                                                              "approval_timeout_minutes": 5,
                                                              "free_parking_minutes": 60})
        assert rules.status_code == 403  # only managers set the rules
    assert any("送水师傅" in t for t in await _texts_to(runtime, owner.openid))


async def test_a_guard_without_wechat_is_covered_by_the_security_on_duty(runtime):
    """Registered on the gate's shared phone by a guard WeChat does not reach: the guard rostered on duty now is
    told to call the owner."""
    from tests.workflows.duty.test_duty_roster import _second_guard
    from workflows.duty import service as duty

    async with transaction(runtime.sessions) as session:
        first, second, community_id = await _second_guard(session)
        await duty.add_shift(session, community_id=community_id, staff_id=second.id, weekdays="每天",
                             starts="00:00", ends="00:00", actor="test")
        home = await session.scalar(select(Household).join(Building).where(Building.name == "1栋",
                                                                          Household.room == "1单元101"))
        walk_in = await walkins.register_walk_in(session, community_id=community_id, household_id=home.id,
                                                 guard=first, visitor_name="维修工老张")
        assert walk_in.status == WalkInStatus.TIMED_OUT  # nobody of 1单元101 is bound: call at once
    assert any("请电话联系业主" in t and "维修工老张" in t for t in await _texts_to(runtime, "wx-qian"))


async def test_staff_see_todays_expected_visitors_arrivals_and_refusals(runtime):
    """Every entry is recorded: an owner's pass for today is expected, its scan is an arrival, a guessed code is a
    refusal with its reason; the 访客 page and its JSON show them to the guard."""
    from tests.backoffice.helpers import staff_client
    from tests.workflows.visitors.test_passes import _issue, _present

    issued, community_id = await _issue(runtime)
    assert await _present(runtime, community_id, issued.token) == (True, "")
    assert await _present(runtime, community_id, "12345678", "code") == (False, "unknown")
    async with staff_client(runtime, "baoan") as client:
        page = await client.page("/admin/visitors")
        assert issued.visitor_pass.number in page.text and "王芳" in page.text
        today = (await client.api("GET", "/admin/api/visitors/today")).json()
    assert [p["number"] for p in today["expected"]] == [issued.visitor_pass.number]
    assert today["arrivals"] == 1 and [r["reason"] for r in today["refusals"]] == ["unknown"]
