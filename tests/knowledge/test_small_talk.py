"""Thanks, "ok", goodbyes and laughter get a kind short reply; anything with a question or a request in it does not."""

from __future__ import annotations

import pytest

from knowledge import messages
from knowledge.small_talk import small_talk_reply


@pytest.mark.parametrize(("text", "reply"), [
    ("谢谢啊", messages.SMALL_TALK_THANKS),
    ("好滴 谢谢小邻", messages.SMALL_TALK_THANKS),
    ("知道了 麻烦你了", messages.SMALL_TALK_THANKS),
    ("辛苦了！", messages.SMALL_TALK_THANKS),
    ("拜拜", messages.SMALL_TALK_BYE),
    ("好的知道了", messages.SMALL_TALK_OK),
    ("嗯嗯好的", messages.SMALL_TALK_OK),
    ("ＯＫ", messages.SMALL_TALK_OK),  # full-width, as some phones type it
    ("哈哈哈", messages.SMALL_TALK_OK),
    ("那算了", messages.SMALL_TALK_OK),
    ("666", messages.SMALL_TALK_OK),
])
def test_small_talk_gets_a_kind_reply(text: str, reply: str) -> None:
    assert small_talk_reply(text) == reply


@pytest.mark.parametrize("text", [
    "你好", "在吗", "您好呀",  # greetings open the menu (help)
    "谢谢，物业费怎么交", "好的，我想报修", "嗯嗯好的那个", "可以吗", "行不行", "对吗",
    "明天上证指数会涨吗", "那", "的", "", "   ",
    "谢谢" * 10,  # too long to be only small talk
])
def test_anything_else_is_not_small_talk(text: str) -> None:
    assert small_talk_reply(text) is None
