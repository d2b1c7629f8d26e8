from datetime import UTC, datetime

from tests.workflows.repairs.factories import OPENID, demo, open_ticket
from workflows.db import transaction
from workflows.repairs import service as repairs
from workflows.repairs.duplicates import monthly_duplicate_report, similarity


async def _find(runtime, **criteria):
    async with runtime.sessions() as session:
        return await repairs.find_duplicate(session, **criteria)


async def test_an_open_ticket_of_the_same_household_and_category_is_found(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d, category="水电")
    found = await _find(any_runtime, community_id=d.community_id, category="水电", household_id=d.household_id)
    assert found is not None and found[0].id == ticket.id and found[1] == "same_household"
    assert await _find(any_runtime, community_id=d.community_id, category="门窗", household_id=d.household_id) is None


async def test_a_similar_public_area_report_is_found_by_words_or_by_location(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d, category="公共设施", household_id=None, public_area=True,
                               location_text="3栋2单元楼道", description="3栋2单元楼道的灯不亮了",
                               latitude=31.2210, longitude=121.5441)
    by_words = await _find(any_runtime, community_id=d.community_id, category="公共设施", public_area=True,
                           location_text="3栋2单元 楼道", description="楼道灯坏了")
    assert by_words is not None and by_words[0].id == ticket.id and by_words[1] == "public_area"
    by_place = await _find(any_runtime, community_id=d.community_id, category="公共设施", public_area=True,
                           location_text="这里", description="路灯", latitude=31.22105, longitude=121.54415)
    assert by_place is not None and by_place[0].id == ticket.id
    elsewhere = await _find(any_runtime, community_id=d.community_id, category="公共设施", public_area=True,
                            location_text="南门车库", description="车库道闸抬不起来")
    assert elsewhere is None


async def test_adding_details_counts_a_prevented_duplicate_in_the_monthly_report(any_runtime):
    d = await demo(any_runtime)
    november = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    ticket = await open_ticket(any_runtime, d, now=november)
    async with transaction(any_runtime.sessions) as session:
        loaded = await session.get(type(ticket), ticket.id)
        for _ in range(2):  # WeChat delivering the same choice twice adds one row
            await repairs.add_details(session, ticket=loaded, openid=OPENID, description="水越来越大了",
                                      household_id=d.household_id, submission_key="k-detail-1", now=november)
    await open_ticket(any_runtime, d, now=november, duplicate_of_id=ticket.id, description="再报一次")
    await open_ticket(any_runtime, d, category="门窗", description="窗户关不上", now=november)
    async with any_runtime.sessions() as session:
        report = await monthly_duplicate_report(session, year=2026, month=11, community_id=d.community_id)
        october = await monthly_duplicate_report(session, year=2026, month=10)
    assert (report.tickets_created, report.duplicates_prevented, report.duplicates_created) == (3, 1, 1)
    assert report.duplicate_rate == 2 / 4
    assert (october.tickets_created, october.duplicate_rate) == (0, 0.0)


def test_similarity_is_about_shared_words():
    assert similarity("3栋楼道灯不亮", "3栋楼道灯不亮") == 1.0
    assert similarity("电梯", "水管") == 0.0


async def test_a_neighbour_who_added_to_a_public_ticket_hears_its_progress(any_runtime):
    from sqlalchemy import select

    from tests.workflows.repairs.factories import act
    from workflows.outbox.models import OutboxMessage

    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d, category="公共设施", household_id=None, public_area=True,
                               location_text="3栋2单元楼道", description="楼道灯不亮")
    async with transaction(any_runtime.sessions) as session:
        loaded = await session.get(type(ticket), ticket.id)
        await repairs.add_details(session, ticket=loaded, openid="o-neighbour", description="晚上很黑",
                                  match="public_area")
    tech = d.actor("chen.shifu") if ticket.assignee_id == d.staff["chen.shifu"].id else d.actor("li.shifu")
    for step in (repairs.accept, repairs.start, repairs.complete):
        await act(any_runtime, ticket.id, step, actor=tech)
    async with any_runtime.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    heard = [(r.payload["openid"], r.payload["event"]) for r in rows if r.payload.get("event")]
    assert [e for o, e in heard if o == "o-neighbour"] == ["accepted", "on_the_way", "completed"]
    assert [e for o, e in heard if o == OPENID] == ["accepted", "on_the_way", "completed"]
    last = [r for r in rows if r.payload.get("openid") == "o-neighbour"][-1]
    assert "评价" not in last.payload["text"] and "已修好" in last.payload["text"]
