"""Duplicate repair tickets with and without status notifications: a synthetic month replayed through the real
services (workflows.repairs: open_repair, the duplicate check, add_details, accept/start/complete with owner
notifications through the outbox) on a temporary SQLite database seeded with the demo community.

Owner behaviour (deterministic, seed 20261125):
- about 45 % of occupied households have a fault in November 2026, reported at a random daytime moment; 12 public-area
  faults (楼道灯、电梯、道闸…) are each reported by 1–3 different owners within two days, in their own words;
- after submitting, an owner waits with a patience of 4–36 hours; whenever the patience runs out without any news
  (an outbox message addressed to them about their ticket) while the ticket is still open, the owner
  submits again with probability 0.6; any news restarts the patience;
- when the chat shows an open ticket like theirs, 85 % add their details to it (补充到已有工单), 15 % create anyway.
Technicians: accept after 10–40 min (urgent) or 0.5–6 working hours, go on site 1–20 h later, 25 % wait 1–3 days for
parts, finish 0.5–3 h after starting; the front desk cancels a duplicate ticket created anyway two hours later.
Both scenarios draw the same faults, reporters, patience and technician delays; only the notifications differ.
A third run (notifications off, no duplicate check) is the baseline of what an owner-facing form without either does.

    .venv/bin/python benchmarks/duplicates.py [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from workflows.clock import SHANGHAI  # noqa: E402
from workflows.community.models import Community, Household, Occupancy  # noqa: E402
from workflows.db import transaction  # noqa: E402
from workflows.demo import seed_demo  # noqa: E402
from workflows.migrate import upgrade  # noqa: E402
from workflows.outbox.models import OutboxMessage  # noqa: E402
from workflows.repairs import service as repairs  # noqa: E402
from workflows.repairs.duplicates import monthly_duplicate_report  # noqa: E402
from workflows.repairs.models import RepairTicket  # noqa: E402
from workflows.runtime import Runtime  # noqa: E402
from workflows.settings import Settings  # noqa: E402
from workflows.staff.models import StaffUser  # noqa: E402

MONTH_START = datetime(2026, 11, 1, tzinfo=SHANGHAI)
HOME_FAULTS = [("水电", "厨房水龙头一直滴水"), ("水电", "卫生间插座没电"), ("管道疏通", "厨房下水道堵了"),
               ("门窗", "阳台推拉窗关不严"), ("门窗", "入户门锁不好用"), ("水电", "热水器漏水"),
               ("管道疏通", "马桶冲不下去"), ("其他", "空调外机支架松了")]
PUBLIC_FAULTS = [("公共设施", "{b}2单元楼道", ["楼道灯不亮了", "楼道的灯坏了", "楼道里黑的灯不亮"]),
                 ("电梯", "{b}电梯", ["电梯按钮失灵", "电梯按了没反应", "电梯按键坏了"]),
                 ("公共设施", "南门车库道闸", ["道闸抬不起来", "车库道闸坏了", "道闸不抬杆"]),
                 ("公共设施", "{b}门口路灯", ["路灯不亮", "门口路灯坏了", "路灯晚上不亮"])]


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    data: dict = field(compare=False)


@dataclass
class Outcome:
    name: str
    submissions: int = 0
    true_repeats: int = 0  # submissions repeating a problem that already had an open ticket (ground truth)
    tickets: int = 0
    prevented: int = 0
    created_anyway: int = 0
    owner_messages: int = 0
    rate: float = 0.0
    seconds: float = 0.0


def working_delay(at: datetime, hours: float) -> datetime:
    """`hours` of working time (08:00–20:00 local) after `at`."""
    moment = at.astimezone(SHANGHAI)
    remaining = timedelta(hours=hours)
    while remaining > timedelta(0):
        if moment.hour < 8:
            moment = moment.replace(hour=8, minute=0)
        elif moment.hour >= 20:
            moment = (moment + timedelta(days=1)).replace(hour=8, minute=0)
        end_of_day = moment.replace(hour=20, minute=0)
        step = min(remaining, end_of_day - moment)
        moment += step
        remaining -= step
    return moment


def plan_faults(rng: random.Random, households: list[tuple[int, int]]) -> list[dict]:
    """The month's faults and who reports them when (the same for every scenario)."""
    faults = []
    for household_id, _building in households:
        if rng.random() < 0.45:
            category, text = rng.choice(HOME_FAULTS)
            day = rng.uniform(0, 29)
            at = MONTH_START + timedelta(days=int(day), hours=rng.uniform(7, 22))
            faults.append({"public": False, "category": category, "description": text, "place": "",
                           "reports": [(household_id, at)]})
    for index in range(12):
        category, place, phrasings = PUBLIC_FAULTS[index % len(PUBLIC_FAULTS)]
        building = rng.randint(1, 6)
        first = MONTH_START + timedelta(days=rng.uniform(0, 28), hours=rng.uniform(7, 21))
        reporters = rng.sample([h for h, b in households if b == building] or [households[0][0]], rng.randint(1, 3))
        faults.append({"public": True, "category": category, "place": place.format(b=f"{building}栋"),
                       "phrasings": phrasings,
                       "reports": [(h, first + timedelta(hours=rng.uniform(0, 48) if i else 0))
                                   for i, h in enumerate(reporters)]})
    for fault in faults:  # technician and owner behaviour, drawn once per fault
        fault["seed"] = rng.randrange(1 << 30)
    return faults


async def simulate(name: str, faults: list[dict], *, notify: bool, check: bool) -> Outcome:
    folder = Path(tempfile.mkdtemp(prefix="linli-dup-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = Settings(_env_file=None, database_url=url, media_dir=str(folder / "media"),
                        chroma_path=str(folder / "chroma"), redis_url="")
    runtime = Runtime.from_settings(settings)
    policy = repairs.RepairPolicy(notify_owner=notify)
    outcome = Outcome(name)
    started = time.perf_counter()
    try:
        async with transaction(runtime.sessions) as session:
            await seed_demo(session)
            community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        queue: list[Event] = []
        counter = iter(range(1 << 30))

        def push(at: datetime, kind: str, **data) -> None:
            heapq.heappush(queue, Event(at.astimezone(UTC), next(counter), kind, data))

        owners: dict[tuple[int, int], dict] = {}  # (fault index, household) -> owner state
        problem_ticket: dict[int, int] = {}  # fault index -> the first ticket for it
        for index, fault in enumerate(faults):
            for household_id, at in fault["reports"]:
                push(at, "report", fault=index, household=household_id, first=True)
        seen_outbox = 0
        while queue:
            event = heapq.heappop(queue)
            now, fault_index = event.at, event.data.get("fault")
            fault = faults[fault_index] if fault_index is not None else None
            async with transaction(runtime.sessions) as session:
                if event.kind in ("report", "patience"):
                    await owner_turn(session, event, fault, owners, problem_ticket, outcome, push, now,
                                     community_id=community_id, notify=notify, check=check, policy=policy)
                else:
                    await technician_turn(session, event, fault, push, now, policy)
                new_rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.id > seen_outbox)
                                                      .order_by(OutboxMessage.id)))
            for row in new_rows:  # an owner "hears" a message the moment it is written
                seen_outbox = row.id
                if row.payload.get("event"):
                    outcome.owner_messages += 1
                    for state in owners.values():  # only the owner the message is addressed to
                        if row.payload.get("openid") == state["openid"] and row.payload.get("ref") in state["numbers"]:
                            state["last_news"] = now
        async with runtime.sessions() as session:
            report = await monthly_duplicate_report(session, year=2026, month=11, community_id=community_id)
            outcome.tickets = await session.scalar(select(func.count(RepairTicket.id)))
        outcome.prevented, outcome.created_anyway, outcome.rate = (report.duplicates_prevented,
                                                                   report.duplicates_created, report.duplicate_rate)
    finally:
        await runtime.close()
    outcome.seconds = time.perf_counter() - started
    return outcome


async def owner_turn(session, event: Event, fault: dict, owners: dict, problem_ticket: dict, outcome: Outcome,
                     push, now: datetime, *, community_id: int, notify: bool, check: bool,
                     policy: repairs.RepairPolicy) -> None:
    key = (event.data["fault"], event.data["household"])
    if key not in owners:  # one random stream per owner and fault, the same in every scenario
        owners[key] = {"numbers": set(), "last_news": now, "openid": f"bench-{event.data['household']}",
                       "rng": random.Random(fault["seed"] * 7919 + event.data["household"])}
    state = owners[key]
    rng: random.Random = state["rng"]
    first_ticket = await session.get(RepairTicket, problem_ticket[event.data["fault"]]) \
        if event.data["fault"] in problem_ticket else None
    if event.kind == "patience":
        if first_ticket is None or not first_ticket.is_open or now - state["last_news"] < event.data["patience"]:
            if first_ticket is not None and first_ticket.is_open:
                push(state["last_news"] + event.data["patience"], "patience", fault=event.data["fault"],
                     household=event.data["household"], patience=event.data["patience"])
            return
        if rng.random() >= 0.6:  # patient this time: wait another round
            push(now + event.data["patience"], "patience", fault=event.data["fault"],
                 household=event.data["household"], patience=event.data["patience"])
            return
    outcome.submissions += 1
    if first_ticket is not None and first_ticket.is_open:
        outcome.true_repeats += 1
    phrasing, adds = rng.choice(fault.get("phrasings") or [""]), rng.random() < 0.85  # drawn whatever follows
    description = fault.get("description") or phrasing
    if event.kind == "patience":
        description = f"{description}，怎么还没人来？"
    criteria = {"community_id": community_id, "category": fault["category"],
                "household_id": None if fault["public"] else event.data["household"], "public_area": fault["public"],
                "location_text": fault["place"], "description": description}
    found = await repairs.find_duplicate(session, **criteria, now=now) if check else None
    duplicate_of = None
    if found is not None:
        ticket, match = found
        if adds:
            await repairs.add_details(session, ticket=ticket, openid=state["openid"],
                                      description=description, household_id=event.data["household"], match=match,
                                      now=now, policy=policy)
            state["numbers"].add(ticket.number)
            schedule_patience(push, rng, event, now)
            return
        duplicate_of = ticket.id
    elif not check and first_ticket is not None and first_ticket.is_open:
        duplicate_of = first_ticket.id  # ground truth, so the baseline's report counts it
    ticket = await repairs.open_repair(
        session, community_id=community_id, openid=state["openid"], category=fault["category"],
        description=description, household_id=criteria["household_id"], public_area=fault["public"],
        location_text=fault["place"] or "家里", duplicate_of_id=duplicate_of, now=now)
    state["numbers"].add(ticket.number)
    if duplicate_of is not None:
        push(now + timedelta(hours=2), "desk_cancel", ticket=ticket.id)
    else:
        problem_ticket.setdefault(event.data["fault"], ticket.id)
        plan_technician(push, random.Random(fault["seed"]), ticket, now)
    schedule_patience(push, rng, event, now)


def schedule_patience(push, rng: random.Random, event: Event, now: datetime) -> None:
    patience = timedelta(hours=rng.uniform(4, 36))
    push(now + patience, "patience", fault=event.data["fault"], household=event.data["household"], patience=patience)


def plan_technician(push, rng: random.Random, ticket: RepairTicket, now: datetime) -> None:
    urgent = ticket.priority.value == "urgent"
    accept = now + timedelta(minutes=rng.uniform(10, 40)) if urgent else working_delay(now, rng.uniform(0.5, 6))
    start = accept + timedelta(hours=rng.uniform(1, 20))
    push(accept, "accept", ticket=ticket.id)
    push(start, "start", ticket=ticket.id)
    finish = start + timedelta(hours=rng.uniform(0.5, 3))
    if rng.random() < 0.25:
        push(start + timedelta(hours=1), "wait_parts", ticket=ticket.id)
        resume = start + timedelta(days=rng.uniform(1, 3))
        push(resume, "resume", ticket=ticket.id)
        finish = resume + timedelta(hours=rng.uniform(0.5, 3))
    push(finish, "complete", ticket=ticket.id)


async def technician_turn(session, event: Event, fault, push, now: datetime, policy: repairs.RepairPolicy) -> None:
    ticket = await session.get(RepairTicket, event.data["ticket"])
    if ticket is None:
        return
    if event.kind == "desk_cancel":
        if ticket.is_open:
            desk = await session.scalar(select(StaffUser).where(StaffUser.username == "kefu"))
            await repairs.cancel(session, ticket=ticket, actor=repairs.staff_actor(desk), reason="重复报修", now=now,
                                 policy=policy)
        return
    technician = await session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
    if technician is None:
        return
    actor = repairs.staff_actor(technician)
    steps = {"accept": repairs.accept, "start": repairs.start, "wait_parts": repairs.wait_for_parts,
             "resume": repairs.resume, "complete": repairs.complete}
    await steps[event.kind](session, ticket=ticket, actor=actor, now=now, policy=policy)


async def households() -> list[tuple[int, int]]:
    """The demo community's occupied households and their building number (1..6)."""
    folder = Path(tempfile.mkdtemp(prefix="linli-dup-plan-"))
    url = f"sqlite+aiosqlite:///{folder / 'plan.db'}"
    upgrade(url)
    runtime = Runtime.from_settings(Settings(_env_file=None, database_url=url, media_dir=str(folder / "m"),
                                             chroma_path=str(folder / "c"), redis_url=""))
    try:
        async with transaction(runtime.sessions) as session:
            await seed_demo(session)
            rows = (await session.execute(select(Household.id, Household.building_id).join(Community).where(
                Community.code == "YGHY", Household.occupancy != Occupancy.VACANT).order_by(Household.id))).all()
            building_ids = sorted({b for _, b in rows})
            return [(h, building_ids.index(b) + 1) for h, b in rows]
    finally:
        await runtime.close()


async def main(seed: int) -> None:
    homes = await households()
    faults = plan_faults(random.Random(seed), homes)
    print(f"synthetic month 2026-11, seed {seed}: {len(homes)} occupied households, {len(faults)} faults, "
          f"{sum(len(f['reports']) for f in faults)} first reports")
    runs = [await simulate("notifications off, no duplicate check (baseline)", faults, notify=False, check=False),
            await simulate("notifications off, duplicate check", faults, notify=False, check=True),
            await simulate("notifications on, duplicate check (Linli)", faults, notify=True, check=True)]
    print(f"\n{'scenario':52} {'submits':>7} {'repeats':>7} {'tickets':>7} {'prevented':>9} {'dup made':>8} "
          f"{'dup rate':>8} {'owner msgs':>10} {'time':>6}")
    for run in runs:
        print(f"{run.name:52} {run.submissions:7d} {run.true_repeats:7d} {run.tickets:7d} {run.prevented:9d} "
              f"{run.created_anyway:8d} {run.rate:8.1%} {run.owner_messages:10d} {run.seconds:5.1f}s")
    base, off, on = runs
    print(f"\nrepeat submissions: {off.true_repeats} with notifications off, {on.true_repeats} with them on "
          f"({1 - on.true_repeats / off.true_repeats:.0%} fewer)" if off.true_repeats else "")
    print(f"duplicate tickets created: baseline {base.created_anyway}, off {off.created_anyway}, "
          f"on {on.created_anyway}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261125)
    asyncio.run(main(parser.parse_args().seed))
