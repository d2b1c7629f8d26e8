"""The bot's stored state is written and read with orjson, as the same text the json module wrote."""

import json

import pytest

from bot import state_json
from bot.conversation import Conversation


def old_text(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def test_a_conversation_is_stored_as_the_same_text_as_before_and_reads_back() -> None:
    conv = Conversation(openid="o-json")
    conv.start_dialog("bind", {"community": 1, "楼栋": "3#楼", "at": 1.5})
    conv.choices = [[1, "阳光花园", ["阳光"]], [2, "翠湖苑 \"东门\"\n", []]]
    conv.facts = {7: "int keys become strings, as json.dumps made them"}
    data = {name: getattr(conv, name) for name in conv.__dataclass_fields__}
    assert conv.to_json() == old_text(data)
    again = Conversation.from_json("o-json", conv.to_json())
    assert again.values == conv.values and again.choices == conv.choices and again.facts == {"7": conv.facts[7]}


def test_what_orjson_refuses_is_still_written_and_unreadable_text_is_a_value_error() -> None:
    huge = {"n": 2**70}
    assert state_json.dumps(huge) == old_text(huge)
    with pytest.raises(ValueError):
        state_json.loads("{not json")
    assert Conversation.from_json("o-json", "{not json").dialog is None  # unreadable state starts afresh
