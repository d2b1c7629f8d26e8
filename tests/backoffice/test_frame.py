"""The secure frame: login, lockout, sessions, CSRF, roles, docs behind the staff session."""

from __future__ import annotations

from tests.backoffice.helpers import staff_client


async def test_login_with_the_right_password_opens_the_back_office(runtime):
    async with staff_client(runtime) as client:
        response = await client.login("manager")
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "linli_admin=" in cookie and "path=/admin" in cookie and "httponly" in cookie
        assert "samesite=lax" in cookie and "secure" not in cookie  # Secure only when settings.secure_cookies
        page = await client.page("/admin/me")
        assert page.status_code == 200
        assert "周经理" in page.text and "项目经理" in page.text


async def test_pages_without_a_session_redirect_to_login_and_the_api_answers_401(runtime):
    async with staff_client(runtime) as client:
        page = await client.http.get("/admin/me")
        assert page.status_code == 303 and page.headers["location"].startswith("/admin/login?next=/admin/me")
        api = await client.http.get("/admin/openapi.json")
        assert api.status_code in (303, 401)


async def test_five_wrong_passwords_lock_this_browser_out_of_the_account(runtime):
    # Finding 4 changed this: the lock answers like a wrong password and holds for this browser only.
    async with staff_client(runtime) as client:
        for _ in range(5):
            response = await client.login("kefu", "wrong-password")
            assert response.status_code == 400
            assert "用户名或密码不对" in response.text
        still_locked = await client.login("kefu")  # the right password does not help while locked
        assert still_locked.status_code == 400 and "用户名或密码不对" in still_locked.text
    async with staff_client(runtime) as other_browser:
        assert (await other_browser.login("kefu")).status_code == 303


async def test_many_failures_on_one_username_slow_it_down_rather_than_wall_it_off(runtime, monkeypatch):
    import time

    from workflows.staff import service

    monkeypatch.setattr(service, "SLOW_AFTER_FAILURES", 3)
    monkeypatch.setattr(service, "SLOW_PATH_S", 0.5)
    async with staff_client(runtime) as client:
        statuses = [(await client.login("nobody", "x")).status_code for _ in range(3)]
        started = time.perf_counter()
        slowed = await client.login("nobody", "x")
        assert slowed.status_code == 400 and time.perf_counter() - started >= 0.5
    async with staff_client(runtime) as owner:
        assert (await owner.login("manager")).status_code == 303
    assert statuses == [400, 400, 400]


async def test_many_failures_from_one_address_are_rate_limited(runtime, monkeypatch):
    from workflows.staff import service

    monkeypatch.setattr(service, "MAX_FAILURES_PER_IP", 5)
    async with staff_client(runtime) as client:
        statuses = [(await client.login(f"someone{n}", "x")).status_code for n in range(6)]
        assert statuses == [400] * 5 + [429]


async def test_a_form_without_the_csrf_token_is_refused(runtime):
    async with staff_client(runtime, "manager") as client:
        missing = await client.http.post("/admin/me/invite", data={})
        assert missing.status_code == 403
        forged = await client.http.post("/admin/me/invite", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        header_forged = await client.http.post("/admin/me/invite", headers={"X-CSRF-Token": "forged"})
        assert header_forged.status_code == 403
        ok = await client.submit("/admin/me/invite")
        assert ok.status_code == 303


async def test_login_itself_needs_the_csrf_token(runtime):
    async with staff_client(runtime) as client:
        response = await client.http.post("/admin/login", data={"username": "manager", "password": "x"})
        assert response.status_code == 403


async def test_password_change_checks_the_old_password_and_ends_other_sessions(runtime):
    async with staff_client(runtime, "kefu") as first, staff_client(runtime, "kefu") as second:
        wrong = await first.submit("/admin/me/password", {"old_password": "nope", "new_password": "new-pass-2026",
                                                          "new_password2": "new-pass-2026"})
        assert wrong.status_code == 400 and "原密码不对" in wrong.text
        short = await first.submit("/admin/me/password", {"old_password": "linli-demo-2026", "new_password": "abc",
                                                          "new_password2": "abc"})
        assert short.status_code == 400 and "至少 8 位" in short.text
        changed = await first.submit("/admin/me/password", {"old_password": "linli-demo-2026",
                                                            "new_password": "new-pass-2026",
                                                            "new_password2": "new-pass-2026"})
        assert changed.status_code == 303
        assert (await first.page("/admin/me")).status_code == 200
        assert (await second.http.get("/admin/me")).status_code == 303  # the other session is over


async def test_logout_ends_the_session_even_for_a_kept_copy_of_the_cookie(runtime):
    async with staff_client(runtime, "manager") as client:
        assert (await client.page("/admin/me")).status_code == 200
        kept = client.http.cookies.get("linli_admin")
        assert (await client.submit("/admin/logout")).status_code == 303
        assert (await client.http.get("/admin/me")).status_code == 303
        client.http.cookies.jar.clear()
        replayed = await client.http.get("/admin/me", headers={"Cookie": f"linli_admin={kept}"})
        assert replayed.status_code == 303


async def test_openapi_is_served_to_staff_only(runtime):
    async with staff_client(runtime) as client:
        public = await client.http.get("/openapi.json")
        assert public.status_code == 307 and public.headers["location"] == "/admin/openapi.json"
        public_docs = await client.http.get("/docs")
        assert public_docs.status_code == 307 and public_docs.headers["location"] == "/admin/docs"
        assert (await client.http.get("/admin/docs")).status_code == 303  # to the login page
        assert (await client.http.get("/admin/openapi.json")).status_code in (303, 401)
        await client.login("kefu")
        schema = await client.http.get("/admin/openapi.json")
        assert schema.status_code == 200 and "paths" in schema.json()


async def test_redirect_after_login_stays_inside_the_back_office(runtime):
    async with staff_client(runtime) as client:
        await client.page("/admin/login")
        response = await client.http.post("/admin/login", data={"username": "manager", "password": "linli-demo-2026",
                                                                "csrf_token": client.csrf,
                                                                "next": "https://evil.example/"})
        assert response.headers["location"] == "/admin/"


async def test_the_api_session_gives_the_csrf_token_for_json_writes(runtime):
    async with staff_client(runtime, "kefu") as client:
        session = (await client.http.get("/admin/api/session")).json()
        assert session["staff"]["role"] == "front_desk" and session["csrf_token"]
        response = await client.http.post("/admin/api/escalations/999/claim",
                                          headers={"X-CSRF-Token": session["csrf_token"]})
        assert response.status_code == 404  # past the CSRF check, then scoped: unknown id


async def test_secure_cookies_are_marked_secure(tmp_path, sqlite_template):
    from tests.services import copy_sqlite, test_settings
    from workflows.runtime import Runtime

    settings = test_settings(tmp_path, database_url=copy_sqlite(sqlite_template, tmp_path), secure_cookies=True)
    runtime = Runtime.from_settings(settings)
    try:
        async with staff_client(runtime) as client:
            response = await client.login("manager")
            assert "secure" in response.headers["set-cookie"].lower()
    finally:
        await runtime.close()


async def test_the_api_docs_are_served_from_the_package_to_staff(runtime):
    async with staff_client(runtime, "manager") as client:
        docs = await client.http.get("/admin/docs")
        assert docs.status_code == 200 and "/admin/static/swagger/swagger-ui-bundle.js" in docs.text
        assert "cdn" not in docs.text.lower()
        assert (await client.http.get("/admin/static/swagger/swagger-ui-bundle.js")).status_code == 200
        assert (await client.http.get("/admin/static/htmx.min.js")).status_code == 200
