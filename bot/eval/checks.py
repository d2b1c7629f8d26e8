"""What must hold after one owner message of a blind conversation (bot/eval/conversations/BRIEF.md): each expectation
key checked against what the bot did in that turn (a Turn) and the reply it gave."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workflows.repairs.intake import building_of

# The brief's flow names for the bot's dialogs (several dialogs make one flow for an owner).
FLOWS = {
    "repair": "报修", "complaint": "投诉", "my_repairs": "我的报修", "ticket_lookup": "我的报修",
    "rate_repair": "满意评价", "reopen_repair": "满意评价", "complaint_satisfied": "满意评价",
    "complaint_unsatisfied": "满意评价", "bind": "绑定房屋", "my_households": "我的房屋",
    "announcements": "最新公告", "activity_signup": "活动报名", "activity_cancel": "活动报名", "pay": "缴费",
    "visitor": "访客", "handover": "handover",
}
# What the slot being asked is, in the brief's words.
ASKS = {"where": ("区域",), "building": ("楼栋", "位置"), "place": ("位置",),
        "category": ("类别",), "description": ("描述",),
        "when": ("上门时间",), "number": ("单号",), "phone": ("电话",), "photos": ("照片",)}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|\bNone\b|\d+\.\d+ 米|物业服务电话」")


@dataclass
class Turn:
    """What the bot did with one message."""

    reply: str
    started: list[str] = field(default_factory=list)  # dialogs started during the turn, in order
    before: str | None = None  # the active dialog before / after
    after: str | None = None
    asking: str | None = None  # the slot asked after the turn ("confirm" at the summary)
    values: dict[str, Any] = field(default_factory=dict)  # the flow's values after the turn (or just before it ended)
    answered: bool = False  # the FAQ was asked
    escalated: bool = False  # an escalation was opened or joined
    new_tickets: list[str] = field(default_factory=list)
    offer_open: bool = False  # the hand-over offer is waiting for an answer
    facts: dict[str, Any] = field(default_factory=dict)

    def flows_started(self) -> list[str]:
        return [FLOWS[name] for name in self.started if name in FLOWS]


def intent_of(turn: Turn) -> set[str]:
    """Every reading of the turn the brief's `intent` could mean."""
    readings = set(turn.flows_started())
    if "did_you_mean" in turn.started:
        readings.add("confirm")
    if turn.escalated or "handover" in turn.started:
        readings.add("handover")
    if turn.after and turn.after == turn.before and turn.after in FLOWS:
        readings.add(FLOWS[turn.after])
    if turn.answered and not turn.flows_started():
        readings.add("faq")
    if not turn.flows_started() and not turn.escalated and turn.after not in FLOWS:
        readings.add("none")  # small talk, a greeting (帮助 lists what the bot does): no flow
    return readings


def check(expect: dict[str, Any], turn: Turn) -> list[str]:
    """The expectations that do not hold (empty: the turn passes)."""
    failed: list[str] = []
    flow_after = FLOWS.get(turn.after or "")
    if "intent" in expect and expect["intent"] not in intent_of(turn):
        failed.append(f"intent {expect['intent']} not in {sorted(intent_of(turn))}")
    if "in_flow" in expect:
        want = expect["in_flow"]
        got = flow_after if flow_after != "handover" else None
        if want != got:
            failed.append(f"in_flow {want} != {got}")
    for flow in expect.get("not_started", []):
        if flow in turn.flows_started():
            failed.append(f"started {flow}")
    for key, want in (expect.get("filled") or {}).items():
        got = filled(turn.values, key)
        if key == "描述含":
            ok = str(want) in str(turn.values.get("description", ""))
        elif key == "类别":
            ok = bool(got) and (str(want) in str(got) or str(got) in str(want))
        elif key == "楼栋":
            ok = str(got) == str(want)
        else:
            ok = got == want
        if not ok:
            failed.append(f"filled {key}={want!r} got {got!r}")
    asked = set(ASKS.get(turn.asking or "", ())) | ({"确认"} if turn.asking == "confirm" else set())
    for item in expect.get("not_asked", []):
        if item in asked:
            failed.append(f"asked {item}")
    if "asked" in expect and expect["asked"] not in asked:
        failed.append(f"asked {expect['asked']} not in {sorted(asked)}")
    ticket = expect.get("ticket")
    if ticket == "created" and not turn.new_tickets:
        failed.append("no ticket created")
    if ticket == "none" and turn.new_tickets:
        failed.append(f"ticket created {turn.new_tickets}")
    if ticket == "existing_offered" and not (turn.asking == "duplicate" and not turn.new_tickets):
        failed.append("open ticket not offered")
    handover = expect.get("handover")
    if handover == "asked" and not turn.offer_open:
        failed.append("person not offered")
    if handover == "opened" and not (turn.escalated and ("分钟内" in turn.reply or "上班后" in turn.reply)):
        failed.append("no hand-over with who/when")
    if handover == "not_offered" and turn.offer_open:
        failed.append("person offered")
    if expect.get("urgent_help") and not re.search(r"紧急|119|尽快", turn.reply):
        failed.append("no emergency answer")
    for text in expect.get("reply_not_contains", []):
        if text in turn.reply:
            failed.append(f"reply contains {text!r}")
    if PLACEHOLDER.search(turn.reply):
        failed.append(f"machine text: {PLACEHOLDER.search(turn.reply).group(0)!r}")
    return failed


def filled(values: dict[str, Any], key: str) -> Any:
    where = values.get("where") or {}
    if key == "区域":
        return None if not where else ("公共区域" if where.get("public") else "家里")
    if key == "楼栋":
        return building_of(where.get("text") or where.get("label") or "") or None
    if key == "类别":
        return values.get("category")
    if key == "紧急":
        return bool(values.get("urgent"))
    return values.get(key)
