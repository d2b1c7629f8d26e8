"""The back office on the production parts too: PostgreSQL and Redis (sessions, login counters, every page)."""

from __future__ import annotations

from tests.backoffice.factories import bind_owner, community_id, raise_escalation
from tests.backoffice.helpers import staff_client

PAGES = ("/admin/dashboard", "/admin/escalations", "/admin/escalations?status=overdue", "/admin/residents",
         "/admin/residents/binding-requests", "/admin/residents/import", "/admin/announcements", "/admin/activities",
         "/admin/audit", "/admin/me")


async def test_every_page_renders_and_the_inbox_round_trip_works(any_runtime):
    await bind_owner(any_runtime, openid="pg-owner")
    escalation_id = await raise_escalation(any_runtime, openid="pg-owner")
    theirs = await raise_escalation(any_runtime, openid="pg-cuihu", code="CHY")
    async with staff_client(any_runtime, "manager") as client:
        for url in PAGES:
            response = await client.page(url)
            assert response.status_code == 200, url
        assert (await client.page(f"/admin/escalations/{escalation_id}")).status_code == 200
        assert (await client.http.get(f"/admin/escalations/{theirs}")).status_code == 404
        reply = await client.api("POST", f"/admin/api/escalations/{escalation_id}/reply", {"body": "您好"})
        assert reply.status_code == 200
        yghy = await community_id(any_runtime, "YGHY")
        published = await client.api("POST", "/admin/api/announcements",
                                     {"community_id": yghy, "title": "通知", "body": "内容", "publish": True})
        assert published.json()["recipients"] == 1
        dashboard = (await client.api("GET", "/admin/api/dashboard")).json()
        assert dashboard["escalations"]["claimed"] == 1


async def test_lockout_holds_with_redis_counters(any_runtime):
    async with staff_client(any_runtime) as client:
        for _ in range(5):
            await client.login("caiwu", "wrong")
        locked = await client.login("caiwu")  # finding 4: locked answers like a wrong password, this browser only
        assert locked.status_code == 400 and "用户名或密码不对" in locked.text
    async with staff_client(any_runtime) as other_browser:
        assert (await other_browser.login("caiwu")).status_code == 303
