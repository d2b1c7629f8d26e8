"""Loading the OwnerProfile (who is writing, which households are bound), cached as JSON under `owner:{openid}`
for ten minutes and dropped when a binding changes, so a mid-dialog message costs no database query.

A new owner whose openid is not in the state store's "may be bound" set (workflows.bindings.service) is certainly
unbound: their profile is the default community (cached per process), with no database query."""

from __future__ import annotations

from dataclasses import asdict

from bot import state_json
from bot.context import BoundHousehold, OwnerProfile
from bot.directory import default_community
from workflows.bindings.service import PROFILE_CACHE_KEY, forget_cached_profile, list_bindings, may_be_bound
from workflows.runtime import Runtime

CACHE_TTL_S = 600


def profile_to_json(profile: OwnerProfile) -> str:
    return state_json.dumps(asdict(profile))


def profile_from_json(raw: str) -> OwnerProfile | None:
    try:
        data = state_json.loads(raw)
        return OwnerProfile(openid=data["openid"], default_community_id=data["default_community_id"],
                            households=[BoundHousehold(**h) for h in data["households"]])
    except (ValueError, KeyError, TypeError):
        return None


async def load_profile_from_db(runtime: Runtime, openid: str) -> OwnerProfile:
    """Read the owner's bindings from the database (the slow path)."""
    async with runtime.sessions() as session:
        views = await list_bindings(session, openid=openid)
    fallback = 0 if views else await default_community(runtime)
    households = [BoundHousehold(household_id=v.household_id, community_id=v.community_id,
                                 community_name=v.community_name, label=v.label, resident_id=v.resident_id,
                                 resident_name=v.resident_name, resident_phone=v.resident_phone) for v in views]
    return OwnerProfile(openid=openid, households=households,
                        default_community_id=households[0].community_id if households else fallback)


async def load_profile(runtime: Runtime, openid: str, *, cached: str | None = None,
                       cache_read: bool = False) -> OwnerProfile:
    """The cached profile when there is one (pass `cached`, `cache_read=True` if the caller read the cache already),
    else an unbound one when the openid is certainly unbound, else the database's; then cached."""
    if not cache_read:
        cached = await runtime.state.get(PROFILE_CACHE_KEY.format(openid=openid))
    profile = profile_from_json(cached) if cached else None
    if profile is not None:
        return profile
    if await may_be_bound(runtime.state, openid=openid):
        profile = await load_profile_from_db(runtime, openid)
    else:
        profile = OwnerProfile(openid=openid, households=[], default_community_id=await default_community(runtime))
    await runtime.state.set(PROFILE_CACHE_KEY.format(openid=openid), profile_to_json(profile), CACHE_TTL_S)
    return profile


async def invalidate_profile(runtime: Runtime, openid: str) -> None:
    """Call after bind/unbind commits."""
    await forget_cached_profile(runtime.state, openid=openid)
