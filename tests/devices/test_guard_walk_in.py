"""门岗登记 from the guard's own WeChat: the guard (staff bound to WeChat, security) registers a visitor in chat, the
owner is asked 「访客 X 到访 Y，是否同意？」 and answers 1; the gate opens through the real broker and the guard is told
in WeChat; free text fills several slots; no answer in time tells the guard to call; anyone not allowed to register
visitors is refused, and an owner's 登记访客 is still the owners' pre-registration."""

from datetime import timedelta

from sqlalchemy import select, update

from tests.bot.owners import Owner, make_bot
from tests.devices.conftest import start_gateway, start_simulator
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.devices.models import Device, DeviceKind
from workflows.outbox.models import OutboxMessage
from workflows.staff.models import StaffUser
from workflows.visitors import walkins
from workflows.visitors.models import WalkIn, WalkInStatus

GUARD = "wx-baoan"


async def _bind_staff(runtime, username: str, openid: str) -> None:
    async with transaction(runtime.sessions) as session:
        await session.execute(update(StaffUser).where(StaffUser.username == username).values(wechat_openid=openid))


async def _texts_to(runtime, openid) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r.payload.get("text", "") for r in rows if r.payload.get("openid") == openid]


async def _gate_number(runtime, code: str) -> str:
    """The gate's number in the guard's list (the community's gates in id order)."""
    async with runtime.sessions() as session:
        gate = await session.scalar(select(Device).where(Device.code == code))
        ids = list(await session.scalars(select(Device.id).where(Device.community_id == gate.community_id,
                                                                 Device.kind == DeviceKind.GATE)
                                         .order_by(Device.id)))
    return str(ids.index(gate.id) + 1)


async def _only_walk_in(runtime) -> WalkIn:
    async with runtime.sessions() as session:
        [walk_in] = list(await session.scalars(select(WalkIn)))
        return walk_in


async def test_a_guard_registers_in_wechat_the_owner_approves_and_the_gate_opens(runtime, broker, topic_root,
                                                                                 running):
    await start_gateway(runtime, running, url=broker, root=topic_root)
    sim = await start_simulator(running, url=broker, root=topic_root)
    await _bind_staff(runtime, "baoan", GUARD)
    bot = make_bot(runtime)
    owner, guard = Owner(bot, openid="chat-owner-101"), Owner(bot, openid=GUARD)
    try:
        await owner.bind_demo_flat()
        assert "访客去哪一户" in await guard.say("登记访客")
        assert "没有找到这一户" in await guard.say("9栋909")  # a bad answer is explained with an example
        assert "访客怎么称呼" in await guard.say("1栋1单元101")
        assert "车牌" in await guard.say("快递员小李")
        asked_gate = await guard.say("沪a12345")
        assert "开哪个闸机" in asked_gate and "南门人行闸机（进）" in asked_gate
        registered = await guard.say(await _gate_number(runtime, "gate-south-in"))
        assert "正在询问 1栋1单元101 的业主" in registered and "闸机会自动开启" in registered
        [asked] = await _texts_to(runtime, owner.openid)
        assert "访客 快递员小李（车牌 沪A12345） 到访 1栋1单元101，是否同意进入" in asked
        assert "门已为访客 快递员小李 打开" in await owner.say("1")
        walk_in = await _only_walk_in(runtime)
        assert walk_in.status == WalkInStatus.APPROVED and walk_in.gate_result == "opened"
        assert sim.by_code["gate-south-in"].executed == [walk_in.command_id]
        assert any("业主已同意访客 快递员小李" in t and "闸机已开启" in t for t in await _texts_to(runtime, GUARD))
    finally:
        await bot.transcript.stop()


async def test_free_text_fills_the_slots_and_no_answer_tells_the_guard_to_call(runtime):
    await _bind_staff(runtime, "baoan", GUARD)
    bot = make_bot(runtime)
    owner, guard = Owner(bot, openid="chat-owner-101"), Owner(bot, openid=GUARD)
    try:
        await owner.bind_demo_flat()
        asked_gate = await guard.say("登记访客 送水师傅 1栋1单元101 沪AD12345")
        assert "开哪个闸机" in asked_gate
        assert "请人工放行" in await guard.say("不开闸")  # 人工 alone would ask for a person
        walk_in = await _only_walk_in(runtime)
        assert (walk_in.visitor_name, walk_in.plate, walk_in.gate_device_id) == ("送水师傅", "沪AD12345", None)
        async with transaction(runtime.sessions) as session:
            [late] = await walkins.time_out_unanswered(session, now=utcnow() + timedelta(minutes=4))
            assert late.status == WalkInStatus.TIMED_OUT
        assert any("没有答复访客 送水师傅" in t and "请电话联系业主" in t for t in await _texts_to(runtime, GUARD))
        assert "门口" not in await owner.say("1")  # too late: the owner's 1 starts nothing
    finally:
        await bot.transcript.stop()


async def test_only_staff_allowed_to_register_may_and_owners_keep_their_own_dialog(runtime):
    await _bind_staff(runtime, "wang.shifu", "wx-wang")  # a technician
    bot = make_bot(runtime)
    owner = Owner(bot, openid="chat-owner-101")
    try:
        assert "不能登记访客" in await Owner(bot, openid="wx-wang").say("门岗登记")
        assert "只供物业员工使用" in await Owner(bot, openid="chat-stranger").say("门岗登记")
        await owner.bind_demo_flat()
        reply = await owner.say("登记访客")  # an owner pre-registers a visitor as before
        assert "访客去哪一户" not in reply and "称呼" in reply
    finally:
        await bot.transcript.stop()
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(WalkIn))) == []
