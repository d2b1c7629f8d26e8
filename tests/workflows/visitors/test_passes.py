"""Visitor passes: signed expiring tokens, backup codes stored only as hashes, single/multi-use, revocation, and
every refusal at a gate recorded with its reason."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from workflows.access import Actor
from workflows.clock import utcnow
from workflows.community.models import Building, Community, Household
from workflows.db import transaction
from workflows.visitors import service, tokens
from workflows.visitors.models import EntryResult, PassStatus, VisitorEntry, VisitorPass
from workflows.visitors.plates import find_plate, is_valid_plate, normalize_plate

KEY = tokens.pass_key(secret_key="test-secret")


async def _home(session, code="YGHY") -> Household:
    return await session.scalar(select(Household).join(Building).join(Community).where(
        Community.code == code, Building.name == "1栋", Household.room == "1单元101"))


async def _issue(runtime, *, start=None, hours=2, max_uses=1, openid="o-owner"):
    start = start or utcnow() - timedelta(minutes=5)
    async with transaction(runtime.sessions) as session:
        home = await _home(session)
        issued = await service.issue_visitor_pass(session, key=KEY, community_id=home.community_id,
                                                  household_id=home.id, openid=openid, visitor_name="王芳",
                                                  valid_from=start, valid_until=start + timedelta(hours=hours),
                                                  plate="沪A12345", max_uses=max_uses)
        return issued, home.community_id


async def _present(runtime, community_id, presented, method="qr", now=None):
    async with transaction(runtime.sessions) as session:
        decision = await service.admit_at_gate(session, key=KEY, community_id=community_id, presented=presented,
                                               method=method, now=now)
        return decision.admitted, decision.reason


async def test_a_pass_admits_once_and_a_single_use_pass_used_twice_is_refused(runtime):
    issued, community = await _issue(runtime)
    assert issued.token.startswith("LP1.") and issued.backup_code and len(issued.backup_code) == 8
    assert await _present(runtime, community, issued.token) == (True, "")
    assert await _present(runtime, community, issued.token) == (False, "used")
    assert await _present(runtime, community, issued.backup_code, "code") == (False, "used")
    async with runtime.sessions() as session:
        row = await session.get(VisitorPass, issued.visitor_pass.id)
        entries = list(await session.scalars(select(VisitorEntry).where(VisitorEntry.pass_id == row.id)))
    assert row.status == PassStatus.USED and row.uses == 1
    assert [e.result for e in entries] == [EntryResult.ADMITTED, EntryResult.REFUSED, EntryResult.REFUSED]


async def test_only_a_keyed_hash_of_the_backup_code_is_stored(runtime):
    issued, community = await _issue(runtime)
    async with runtime.sessions() as session:
        row = await session.get(VisitorPass, issued.visitor_pass.id)
    assert issued.backup_code not in (row.code_hash, row.nonce, row.number)
    assert row.code_hash == tokens.code_hash(KEY, community_id=community, code=issued.backup_code)
    assert await _present(runtime, community, issued.backup_code, "code") == (True, "")


async def test_a_multi_use_pass_admits_again_inside_its_window(runtime):
    issued, community = await _issue(runtime, max_uses=None)
    for _ in range(3):
        assert await _present(runtime, community, issued.token) == (True, "")


async def test_expired_early_and_revoked_passes_are_refused(runtime):
    issued, community = await _issue(runtime)
    assert await _present(runtime, community, issued.token, now=utcnow() + timedelta(hours=3)) == (False, "expired")
    assert await _present(runtime, community, issued.token, now=utcnow() - timedelta(hours=1)) == (False, "not_yet")
    async with transaction(runtime.sessions) as session:
        assert await service.revoke_pass(session, pass_id=issued.visitor_pass.id, openid="someone-else",
                                         actor=Actor.owner("o-someone-else")) is None  # not theirs
        revoked = await service.revoke_pass(session, pass_id=issued.visitor_pass.id, openid="o-owner",
                                            actor=Actor.owner("o-owner"))
        assert revoked.status == PassStatus.REVOKED
    assert await _present(runtime, community, issued.token) == (False, "revoked")
    assert await _present(runtime, community, issued.backup_code, "code") == (False, "revoked")


@pytest.mark.parametrize("forge", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # a changed signature
    lambda t: t.replace(".", ".9", 1),  # another pass id, same signature
    lambda t: "LP1.1.0.9999999999.nonce.sig",  # made up
    lambda t: "12345",  # a bare number
    lambda t: "",
])
async def test_forged_or_guessed_tokens_are_refused(runtime, forge):
    issued, community = await _issue(runtime)
    admitted, reason = await _present(runtime, community, forge(issued.token))
    assert not admitted and reason in ("signature", "unknown")


async def test_a_longer_window_cannot_be_claimed_by_editing_the_token(runtime):
    issued, community = await _issue(runtime)
    parts = issued.token.split(".")
    parts[3] = str(int(parts[3]) + 86400)
    assert await _present(runtime, community, ".".join(parts)) == (False, "signature")


async def test_a_guessed_backup_code_is_refused(runtime):
    issued, community = await _issue(runtime)
    guess = f"{(int(issued.backup_code) + 1) % 10**8:08d}"
    assert await _present(runtime, community, guess, "code") == (False, "unknown")


async def test_another_communitys_pass_is_refused(runtime):
    issued, _ = await _issue(runtime)
    async with runtime.sessions() as session:
        other = await session.scalar(select(Community.id).where(Community.code == "CHY"))
    assert await _present(runtime, other, issued.token) == (False, "wrong_community")


async def test_the_same_submission_twice_issues_one_pass(runtime):
    async with transaction(runtime.sessions) as session:
        home = await _home(session)
        start = utcnow()
        kwargs = dict(key=KEY, community_id=home.community_id, household_id=home.id, openid="o", visitor_name="李",
                      valid_from=start, valid_until=start + timedelta(hours=1), submission_key="o:visitor:1")
        first = await service.issue_visitor_pass(session, **kwargs)
        second = await service.issue_visitor_pass(session, **kwargs)
    assert first.visitor_pass.id == second.visitor_pass.id and second.backup_code is None


@pytest.mark.parametrize("plate,valid", [("沪A12345", True), ("京BD12345", True), ("粤B12345F", True),
                                         ("沪AF1234X", False), ("沪I12345", False), ("沪A1234", False),
                                         ("AA12345", False), ("沪A123456", False), ("苏EO1234", False)])
def test_ordinary_and_new_energy_plates(plate, valid):
    assert is_valid_plate(plate) is valid


def test_plates_are_found_and_normalised_in_sentences():
    assert normalize_plate(" 沪a·123 45 ") == "沪A12345"
    assert find_plate("明天下午三点朋友来，车牌沪A12345") == "沪A12345"
    assert find_plate("开新能源车 京AD12345 来") == "京AD12345"
    assert find_plate("没有车") is None
