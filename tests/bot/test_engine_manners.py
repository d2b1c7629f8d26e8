"""The manners every dialog gets from the engine, shown on a small dialog declared here like any feature's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.context import DialogContext
from bot.dialogs.spec import Choice, Dialog, Invalid, Slot
from tests.bot.owners import Answer, Owner, TinyAssistant, make_bot
from workflows.escalations.models import Escalation

SUBMITTED: list[dict] = []


async def kinds(ctx: DialogContext) -> list[Choice]:
    return [Choice("水电", "水电", ("水", "电")), Choice("门窗", "门窗"), Choice("其他", "其他")]


async def parse_where(text: str, ctx: DialogContext) -> str:
    if not any(ch.isdigit() for ch in text):
        raise Invalid("请回复房号。")
    return text.strip()


async def keep_photo(text: str, ctx: DialogContext) -> str:
    return await ctx.services.media.store(ctx.inbound)


def is_bound(ctx: DialogContext) -> bool:
    return ctx.owner.is_bound


async def resident_phone(ctx: DialogContext) -> str:
    return ctx.owner.households[0].resident_phone


async def extract(text: str, ctx: DialogContext) -> dict:
    return {"kind": "水电"} if "漏水" in text else {}


async def summary(ctx: DialogContext) -> str:
    v = ctx.values
    photos = len(v.get("photos") or [])
    return f"类别：{v['kind']}，位置：{v['where']}，备注：{v.get('note') or '无'}，照片：{photos} 张"


async def submit(ctx: DialogContext) -> str:
    SUBMITTED.append(dict(ctx.values))
    return "已提交，谢谢！"


ERRAND = Dialog(
    name="errand", title="办事", triggers=("办事",), menu_key="ERRAND", description="测试用的办事",
    slots=(
        Slot("kind", "请选择类别：", choices=kinds, label="类别"),
        Slot("where", "在哪里？", parse=parse_where, example="1单元302", label="位置"),
        Slot("note", "有什么要补充的？", optional=True, label="备注"),
        Slot("photos", "请发照片。", parse=keep_photo, accepts=frozenset({"image"}), repeatable=True, optional=True,
             label="照片"),
        Slot("phone", "联系电话？", skip_if=is_bound, default=resident_phone, label="电话"),
    ),
    confirm=summary, submit=submit, extract=extract,
)
BOUND_ONLY = Dialog(name="bound_only", title="只给业主", triggers=("业主办事",), slots=(), requires_binding=True,
                    submit=submit)


@pytest.fixture
async def errand_bot(runtime):
    from bot.registry import default_dialogs

    SUBMITTED.clear()
    assistant = TinyAssistant(answers={"物业电话是多少？": Answer(kind="answer", text="物业电话是 021-5888 1234。")})
    bot = make_bot(runtime, assistant=assistant, dialogs=[*default_dialogs(), ERRAND, BOUND_ONLY])
    yield bot
    await bot.transcript.stop()


@pytest.fixture
def me(errand_bot) -> Owner:
    return Owner(errand_bot, "chat-manners")


async def fill_to_confirmation(me: Owner) -> str:
    await me.say("办事")
    await me.say("1")
    await me.say("3栋302")
    await me.say("跳过")
    await me.say("好了")
    return await me.say("13900001111")


async def test_cancel_ends_the_dialog(me: Owner) -> None:
    await me.say("办事")
    assert "已取消办事" in await me.say("取消")
    assert (await me.conversation())["dialog"] is None
    assert SUBMITTED == []


async def test_back_asks_the_previous_slot_again(me: Owner) -> None:
    await me.say("办事")
    await me.say("门窗")
    assert "请选择类别" in await me.say("返回")
    assert "在哪里" in await me.say("1")
    assert "已经是第一步" in (await me.say("返回") and await me.say("返回"))


@pytest.mark.parametrize("answer", ["1", "１", "第一个", "一", "水电", "水", "1.", " 1 "])
async def test_numbered_choices_accept_numbers_labels_and_aliases(me: Owner, answer: str) -> None:
    await me.say("办事")
    assert "在哪里" in await me.say(answer)
    assert (await me.conversation())["values"]["kind"] == "水电"


async def test_invalid_input_is_explained_with_the_slots_example(me: Owner) -> None:
    await me.say("办事")
    reply = await me.say("9")
    assert "请回复前面的序号" in reply and "1. 水电" in reply
    await me.say("1")
    reply = await me.say("楼下")
    assert "请回复房号" in reply and "例如：1单元302" in reply


async def test_a_question_in_the_middle_is_answered_and_the_slot_asked_again(me: Owner, errand_bot) -> None:
    await me.say("办事")
    await me.say("1")
    reply = await me.say("物业电话是多少？")
    assert "021-5888 1234" in reply and "在哪里" in reply
    assert (await me.conversation())["invalid_count"] == 0
    assert "有什么要补充" in await me.say("3栋302")


async def test_an_unanswerable_question_in_the_middle_still_asks_the_slot_again(me: Owner) -> None:
    await me.say("办事")
    reply = await me.say("为什么要填这个")
    assert "转人工" in reply and "请选择类别" in reply


async def test_an_idle_dialog_expires_with_a_note_on_the_next_message(me: Owner) -> None:
    await me.say("办事")
    await me.say("1")
    await me.wait(11 * 60)
    assert await me.say("1") == "刚才的办事已超时取消，需要的话请重新开始。"
    assert (await me.conversation())["dialog"] is None
    await me.say("办事")
    await me.wait(11 * 60)
    reply = await me.say("帮助")
    assert reply.startswith("刚才的办事已超时取消") and "我可以帮您" in reply


async def test_optional_slots_skip_and_repeatable_slots_collect_photos(me: Owner, errand_bot) -> None:
    await me.say("办事")
    await me.say("1")
    await me.say("3栋302")
    assert "请发照片" in await me.say("跳过")
    assert "第 1 个" in await me.send("image", local_path="/tmp/a.jpg")
    assert "第 2 个" in await me.send("image", local_path="/tmp/b.jpg")
    assert "联系电话" in await me.say("好了")
    reply = await me.say("13900001111")
    assert "照片：2 张" in reply and "备注：无" in reply and "回复 1 确认提交" in reply
    assert "已提交" in await me.say("1")
    assert SUBMITTED[0]["photos"] == ["photos/1.jpg", "photos/2.jpg"] and SUBMITTED[0]["note"] is None


async def test_an_image_where_text_is_expected_is_explained(me: Owner) -> None:
    await me.say("办事")
    await me.say("1")
    assert "收不了图片" in await me.send("image", local_path="/tmp/a.jpg")


async def test_voice_recognition_counts_as_typed_text(me: Owner) -> None:
    await me.say("办事")
    assert "在哪里" in await me.send("voice", content="门窗。", media_id="m1")


async def test_confirmation_lets_the_owner_change_one_slot(me: Owner) -> None:
    assert "类别：水电" in await fill_to_confirmation(me)
    reply = await me.say("2")
    assert "要修改哪一项" in reply and "1. 类别：水电" in reply and "2. 位置：3栋302" in reply
    assert "请选择类别" in await me.say("1")
    reply = await me.say("门窗")
    assert "类别：门窗" in reply and "位置：3栋302" in reply and "回复 1 确认提交" in reply
    assert "已提交" in await me.say("确认")
    assert SUBMITTED[0]["kind"] == "门窗" and SUBMITTED[0]["phone"] == "13900001111"


async def test_three_invalid_answers_offer_a_person_and_yes_escalates(me: Owner, runtime) -> None:
    await me.say("办事")
    await me.say("9")
    await me.say("9")
    assert "回复 1 转人工" in await me.say("9")
    reply = await me.say("1")
    assert "RG-" in reply
    async with runtime.sessions() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.openid == me.openid))
    assert escalation.reason == "repeated_failure"


async def test_failing_again_after_the_offer_escalates(me: Owner, runtime) -> None:
    await me.say("办事")
    for _ in range(3):
        await me.say("99")
    assert "RG-" in await me.say("88")
    assert (await me.conversation())["dialog"] is None


async def test_two_after_the_offer_continues_the_dialog(me: Owner) -> None:
    await me.say("办事")
    for _ in range(3):
        await me.say("99")
    assert "请选择类别" in await me.say("2")
    assert "在哪里" in await me.say("1")


async def test_hand_over_in_a_dialog_opens_an_escalation_with_the_transcript(me: Owner, runtime) -> None:
    await me.say("办事")
    await me.say("1")
    reply = await me.say("转人工")
    assert "RG-" in reply and "在这里回复" in reply
    async with runtime.sessions() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.openid == me.openid))
    assert escalation.reason == "asked_for_person" and escalation.number in reply
    contents = [m["content"] for m in escalation.transcript]
    assert "办事" in contents and "转人工" in contents  # flushed before opening, the current message included


async def test_extract_fills_slots_from_the_first_free_text(me: Owner) -> None:
    reply = await me.say("办事 厨房漏水")
    assert "在哪里" in reply
    assert (await me.conversation())["values"] == {"kind": "水电"}


async def test_skip_if_fills_the_default_for_bound_owners(me: Owner) -> None:
    await me.bind_demo_flat()
    await me.say("办事")
    await me.say("2")
    await me.say("1单元101")
    await me.say("跳过")
    reply = await me.say("好了")
    assert "回复 1 确认提交" in reply  # the phone was not asked
    await me.say("1")
    assert SUBMITTED[0]["phone"] == "13800001234"


async def test_dialogs_that_need_a_binding_invite_unbound_owners_to_bind(me: Owner) -> None:
    assert "绑定房屋" in await me.say("业主办事")
    assert (await me.conversation())["dialog"] is None


async def test_another_trigger_word_in_a_dialog_switches_to_that_dialog(me: Owner) -> None:
    await me.say("办事")
    assert "请选择您的小区" in await me.say("绑定房屋")
    assert (await me.conversation())["dialog"] == "bind"


async def test_a_menu_click_starts_its_dialog(me: Owner) -> None:
    assert "请选择类别" in await me.event("CLICK", "ERRAND")


async def test_help_in_the_middle_of_a_dialog_shows_help_and_carries_on(me: Owner) -> None:
    await me.say("办事")
    await me.say("1")
    reply = await me.say("帮助")
    assert "我可以帮您" in reply and reply.rstrip().endswith("在哪里？")
    assert (await me.conversation())["dialog"] == "errand"


async def test_a_failing_step_says_sorry_and_frees_the_owner(runtime) -> None:
    async def broken(text: str, ctx: DialogContext) -> str:
        raise RuntimeError("the database went away")

    fragile = Dialog(name="fragile", title="易碎", triggers=("易碎",), slots=(Slot("x", "请说：", parse=broken),),
                     submit=submit)
    bot = make_bot(runtime, dialogs=[fragile])
    owner = Owner(bot, "chat-fragile")
    await owner.say("易碎")
    assert "系统出了点问题" in await owner.say("好")
    assert (await owner.conversation())["dialog"] is None
    await bot.transcript.stop()


async def test_the_manners_on_postgres_and_redis_too(any_runtime) -> None:
    from bot.registry import default_dialogs

    SUBMITTED.clear()
    bot = make_bot(any_runtime, assistant=TinyAssistant(), dialogs=[*default_dialogs(), ERRAND])
    me = Owner(bot, "chat-manners-any")
    try:
        assert "类别：水电" in await fill_to_confirmation(me)
        await me.say("2")
        await me.say("2")
        assert "位置：5栋501" in await me.say("5栋501")
        assert "已提交" in await me.say("1")
        assert SUBMITTED[-1]["where"] == "5栋501"
        await me.say("办事")
        await me.wait(11 * 60)
        assert "已超时取消" in await me.say("1")
        await me.say("办事")
        assert "RG-" in await me.say("转人工")
    finally:
        await bot.transcript.stop()
    async with any_runtime.sessions() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.openid == me.openid))
    assert escalation.reason == "asked_for_person" and escalation.transcript


async def test_help_lists_every_dialog_for_owners_and_hides_the_others(runtime) -> None:
    from bot.registry import default_dialogs

    hidden = Dialog(name="staff_only", title="员工专用", triggers=("员工专用",), slots=(), submit=submit,
                    in_help=False)
    bot = make_bot(runtime, dialogs=[*default_dialogs(), ERRAND, hidden])
    reply = await Owner(bot, "chat-help").say("帮助")
    assert "办事：回复“办事”" in reply and "绑定房屋：回复“绑定房屋”" in reply
    assert "员工专用" not in reply
    await bot.transcript.stop()
