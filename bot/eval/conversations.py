"""Plays the blind owner conversations (bot/eval/conversations/*.jsonl, written by someone who saw only
BRIEF.md) through the real router, `bot.router.Bot.respond`, on a seeded demo database with the real FAQ assistant,
and prints the pass rate per class. Persona A is bound to 1栋1单元101 (张伟), B to a flat in 3栋, N is unbound.

    .venv/bin/python -m linli.eval_conversations bot/eval/conversations/dev.jsonl [--misses] [--only d001,d002]

A conversation passes when every expectation of every turn holds (bot/eval/checks.py). Each conversation gets a
fresh copy of the seeded database, so one conversation's tickets are not another's duplicates.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.conversation import KEY as CONV_KEY
from bot.conversation import Conversation
from bot.eval.checks import FLOWS, Turn, check
from bot.messages import Inbound
from bot.registry import default_registry
from bot.router import Bot
from bot.services import BotServices
from workflows.clock import SHANGHAI, set_now
from workflows.settings import Settings

HERE = Path(__file__).parent / "conversations"
DROPPED = HERE / "dropped.jsonl"  # dev conversations left out, each with its reason


class NoMedia:
    async def store(self, inbound: Inbound) -> str:
        return "photos/eval.jpg"


class CountingAssistant:
    """The real assistant; notes that the FAQ was asked in this turn."""

    def __init__(self, assistant: Any) -> None:
        self.inner = assistant
        self.asked = False

    async def answer(self, **kwargs: Any) -> Any:
        self.asked = True
        return await self.inner.answer(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


Seed = Callable[[Settings], Awaitable[Any]]


def settings_for(folder: Path, database: Path) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{database}", chroma_path=str(folder / "chroma"),
                    media_dir=str(folder / "media"), redis_url="", run_workers_in_process=False)


async def prepare(folder: Path, seed: Seed) -> Path:
    """Migrate and seed one template database (and the FAQ's vectors) for every conversation to copy. `seed` is the
    composition root's demo seeding (linli.demo.seed_everything), passed in: bot/ does not import linli/."""
    from workflows.migrate import upgrade

    template = folder / "template.db"
    settings = settings_for(folder, template)
    upgrade(settings.database_url)
    await seed(settings)
    return template


async def persona_b_flat(runtime: Any) -> tuple[str, str, str]:
    """(room, name, last 4 digits) of the first resident in 3栋 of the demo community."""
    from workflows.community.models import Building, Household, Resident

    async with runtime.sessions() as session:
        row = (await session.execute(
            select(Household.room, Resident.name, Resident.phone).join(Resident, Resident.household_id == Household.id)
            .join(Building, Building.id == Household.building_id).where(Building.name.like("3%"))
            .order_by(Household.id).limit(1))).first()
    if row is None:
        raise RuntimeError("the demo roster has no resident in 3栋")
    return row[0], row[1], row[2][-4:]


class Player:
    def __init__(self, bot: Bot, assistant: CountingAssistant) -> None:
        self.bot = bot
        self.assistant = assistant
        self.started: list[str] = []
        self.escalated = False
        self.submitted: dict[str, Any] = {}
        engine_start, open_escalation, submit = bot.engine.start, bot.open_escalation, bot.engine._submit

        async def start(conv, ctx, dialog, **kwargs):  # noqa: ANN001, ANN202
            self.started.append(dialog.name)
            return await engine_start(conv, ctx, dialog, **kwargs)

        async def escalation(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.escalated = True
            return await open_escalation(*args, **kwargs)

        async def submitting(conv, ctx, dialog):  # noqa: ANN001, ANN202
            self.submitted = dict(conv.values)
            return await submit(conv, ctx, dialog)

        bot.engine.start, bot.open_escalation, bot.engine._submit = start, escalation, submitting

    async def conversation(self, openid: str) -> Conversation:
        return Conversation.from_json(openid, await self.bot.runtime.state.get(CONV_KEY.format(openid=openid)))

    async def numbers(self) -> set[str]:
        from workflows.complaints.models import Complaint
        from workflows.repairs.models import RepairTicket

        async with self.bot.runtime.sessions() as session:
            return set(await session.scalars(select(RepairTicket.number))) | set(
                await session.scalars(select(Complaint.number)))

    async def say(self, openid: str, text: str) -> Turn:
        before = await self.conversation(openid)
        known = await self.numbers()
        self.started, self.escalated, self.submitted, self.assistant.asked = [], False, {}, False
        reply = (await self.bot.respond(Inbound(openid=openid, msg_type="text", content=text, channel="chat"))).text
        after = await self.conversation(openid)
        dialog = self.bot.registry.get(after.dialog or "")
        asking = None
        if dialog is not None and not dialog.follow_up:
            asking = "confirm" if after.stage == "confirm" else dialog.slots[min(after.slot_index,
                                                                                 len(dialog.slots) - 1)].name
        values = after.values if after.dialog in FLOWS else (self.submitted or (after.parked or {}).get("values")
                                                               or {})
        return Turn(reply=reply, started=list(self.started), before=before.dialog, after=after.dialog,
                    asking=asking, values=dict(values or {}), answered=self.assistant.asked,
                    escalated=self.escalated, new_tickets=sorted(await self.numbers() - known),
                    offer_open=after.dialog == "handover_offer", facts=dict(after.facts))


async def play(conversation: dict[str, Any], template: Path, folder: Path, assistant: Any) -> list[tuple[int, list]]:
    """Every turn's failed expectations."""
    from workflows.runtime import Runtime

    database = folder / f"{conversation['id']}.db"
    shutil.copyfile(template, database)
    runtime = Runtime.from_settings(settings_for(folder, database))
    counting = CountingAssistant(assistant)
    bot = Bot(runtime, BotServices(assistant=counting, media=NoMedia()), default_registry())
    player = Player(bot, counting)
    openids = {who: f"eval-{conversation['id']}-{who}" for who in "ABN"}
    try:
        for line in ("绑定房屋", "1", "1", "1单元101", "张伟", "1234"):
            await player.say(openids["A"], line)
        room, name, last4 = await persona_b_flat(runtime)
        for line in ("绑定房屋", "1", "3栋", room, name, last4):
            await player.say(openids["B"], line)
        results = []
        for index, turn in enumerate(conversation["turns"]):
            played = await player.say(openids[turn.get("who", "A")], turn["owner"])
            results.append((index, check(turn.get("expect") or {}, played), played.reply))
        return results
    finally:
        await bot.transcript.stop()
        await runtime.close()
        database.unlink(missing_ok=True)


def load(path: Path) -> list[dict[str, Any]]:
    dropped = {json.loads(line)["id"] for line in DROPPED.read_text(encoding="utf-8").splitlines() if line.strip()} \
        if DROPPED.exists() else set()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row["id"] not in dropped]


def weekday_morning() -> datetime:
    """The next weekday (today included, if it is one and not yet past) at 09:30 in Shanghai."""
    day = datetime.now(SHANGHAI).replace(hour=9, minute=30, second=0, microsecond=0)
    while day.weekday() >= 5 or day < datetime.now(SHANGHAI) - timedelta(hours=1):
        day += timedelta(days=1)
    return day


async def evaluate(paths: list[Path], *, seed: Seed, only: set[str] | None = None,
                   misses: bool = False, whole: bool = False) -> dict[str, Any]:
    from knowledge.assistant import build_assistant

    folder = Path(tempfile.mkdtemp(prefix="linli-eval-"))
    set_now(weekday_morning())  # the briefs say "a weekday morning": the same figures at any hour of the run
    try:
        template = await prepare(folder, seed)
        assistant = build_assistant(settings_for(folder, template))
        assistant.warm(default_registry().intent_specs())
        report: dict[str, Any] = {}
        for path in paths:
            rows = [r for r in load(path) if not only or r["id"] in only]
            passed: dict[str, list[bool]] = defaultdict(list)
            turns_ok = turns = 0
            for row in rows:
                results = await play(row, template, folder, assistant)
                ok = all(not failed for _, failed, _ in results)
                passed[row["class"]].append(ok)
                turns += len(results)
                turns_ok += sum(1 for _, failed, _ in results if not failed)
                if misses and not ok:
                    for index, failed, reply in results:
                        if whole and not failed:
                            print(f"  {row['id']}#{index} {row['turns'][index]['owner']!r}: ok")
                            print(f"      → {reply[:160]!r}")
                        if failed:
                            print(f"  {row['id']}#{index} {row['turns'][index]['owner']!r}: {'; '.join(failed)}")
                            print(f"      → {reply[:160]!r}")
            report[path.name] = {"classes": {c: (sum(v), len(v)) for c, v in sorted(passed.items())},
                                 "conversations": (sum(sum(v) for v in passed.values()), len(rows)),
                                 "turns": (turns_ok, turns)}
            show(path.name, report[path.name])
        return report
    finally:
        set_now(None)
        shutil.rmtree(folder, ignore_errors=True)


def show(name: str, figures: dict[str, Any]) -> None:
    ok, total = figures["conversations"]
    print(f"{name}: {ok}/{total} conversations pass ({100 * ok / max(total, 1):.1f} %), "
          f"turns {figures['turns'][0]}/{figures['turns'][1]}")
    for cls, (good, count) in figures["classes"].items():
        print(f"  {cls:16s} {good:3d}/{count:<3d} {100 * good / max(count, 1):5.1f} %")

