"""The blind-conversation evaluation (bot/eval/conversations.py, `make eval`) keeps working: a small fixed subset of
the dev set is played through the real router on a seeded database with the real assistant, and passes."""

from __future__ import annotations

from bot.eval.conversations import HERE, evaluate
from linli.demo import seed_everything

SUBSET = {"d001", "d004", "d115"}  # a rule question with a trigger word inside, a typo confirmed, a hand-over


async def test_a_fixed_subset_of_the_blind_conversations_passes() -> None:
    report = await evaluate([HERE / "dev.jsonl"], seed=seed_everything, only=SUBSET)
    figures = report["dev.jsonl"]
    assert figures["conversations"] == (3, 3), figures
    assert set(figures["classes"]) == {"wrong_start", "handover"}
