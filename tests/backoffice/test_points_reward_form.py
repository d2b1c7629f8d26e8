"""Editing a reward with a bad value re-renders the form with the reason (it answered 500: the failed transaction
had expired the row the form is drawn from). Found by the route sweep's admin pass."""

from __future__ import annotations

from tests.backoffice.factories import community_id
from tests.backoffice.helpers import staff_client
from workflows.db import transaction
from workflows.points import messages as text
from workflows.points.models import Reward


async def test_a_bad_value_on_an_existing_reward_is_shown_beside_the_form(runtime):
    yghy = await community_id(runtime, "YGHY")
    async with transaction(runtime.sessions) as session:
        reward = Reward(community_id=yghy, name="五常大米", cost_points=100, stock=5)
        session.add(reward)
    async with staff_client(runtime, "caiwu") as finance:
        response = await finance.submit(f"/admin/finance/points/rewards/{reward.id}",
                                        {"name": "", "cost_points": "100", "stock": "5", "active": "1"})
    assert response.status_code == 400 and text.BAD_NAME in response.text
    async with runtime.sessions() as session:
        assert (await session.get(Reward, reward.id)).name == "五常大米"  # nothing saved
