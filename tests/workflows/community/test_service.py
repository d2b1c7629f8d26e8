"""Finding buildings and households the way owners type them."""

from __future__ import annotations

import pytest

from workflows.community.service import (
    default_community_id,
    find_building,
    find_households,
    list_buildings,
    list_communities,
    normalize_building,
    normalize_room,
)


@pytest.mark.parametrize(("typed", "room"), [("1单元101", "1单元101"), ("１单元１０１", "1单元101"),
                                             ("1-101", "1单元101"), ("一单元101室", "1单元101"),
                                             ("1 单元 101 号", "1单元101"), ("101", "101"), ("1－101", "1单元101")])
def test_rooms_are_normalised(typed: str, room: str) -> None:
    assert normalize_room(typed) == room


@pytest.mark.parametrize(("typed", "number"), [("1栋", "1"), ("1号楼", "1"), ("一栋", "1"), ("１幢", "1"),
                                               ("十二栋", "12"), ("第3栋", "3"), ("6", "6")])
def test_buildings_are_normalised(typed: str, number: str) -> None:
    assert normalize_building(typed) == number


async def test_lookups_on_the_demo_community(runtime) -> None:
    async with runtime.sessions() as session:
        communities = await list_communities(session)
        assert [c.name for c in communities] == ["阳光花园", "翠湖苑"]
        assert await default_community_id(session) == communities[0].id
        buildings = await list_buildings(session, community_id=communities[0].id)
        assert [b.name for b in buildings] == [f"{n}栋" for n in range(1, 7)]
        third = await find_building(session, community_id=communities[0].id, text="三号楼")
        assert third is not None and third.name == "3栋"
        assert await find_building(session, community_id=communities[0].id, text="9栋") is None
        [household] = await find_households(session, building_id=buildings[0].id, room_text="1栋1单元101")
        assert household.label == "1栋1单元101"
        [same] = await find_households(session, building_id=buildings[0].id, room_text="101")
        assert same.id == household.id
        assert await find_households(session, building_id=buildings[0].id, room_text="9单元909") == []
        assert await find_households(session, building_id=buildings[0].id, room_text="") == []
