"""The staff JSON API answers what its OpenAPI document says (issue #18, finding 6: schemathesis found undeclared
404/409/422 and error bodies of another shape).

Every operation of /admin/openapi.json is sent the requests that make each error happen — no session, a role
without the right, another community's record, no CSRF token, a malformed body or path, the same write twice —
and a well-formed one. Every status answered must be declared for that operation, and every error body must be
`{"detail": "…"}` (422: `{"detail": [{"loc", "msg", "type"}]}`), the one shape of backoffice/api_errors.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.backoffice.helpers import staff_client
from tests.backoffice.test_route_sweep import (
    JSON,
    JSON_BY_PATH,
    TECHNICIAN,
    Record,
    _params,
    _readers,
    _records,
    _url,
)

UNSAFE = {"post", "put", "patch", "delete"}


def _error_shape(status: int, body: Any) -> str | None:
    """What is wrong with an error body, or None."""
    if not isinstance(body, dict) or set(body) != {"detail"}:
        return f"not {{'detail': ...}}: {body!r}"[:200]
    if status == 422:
        items = body["detail"]
        if not (isinstance(items, list) and items and all(
                isinstance(i, dict) and {"loc", "msg", "type"} <= set(i) for i in items)):
            return f"422 detail is not a list of {{loc, msg, type}}: {body!r}"[:200]
    elif not isinstance(body["detail"], str):
        return f"detail is not a sentence: {body!r}"[:200]
    return None


async def test_every_status_the_staff_api_answers_is_declared_with_one_error_shape(runtime, tmp_path):
    await _readers(runtime)
    records = await _records(runtime, tmp_path)
    technician = records.pop(TECHNICIAN).key
    answered: list[tuple[str, str, int, Any]] = []

    async def send(client, method: str, path: str, *, url: str | None = None, body: Any = None,
                   csrf: bool = True) -> None:
        url = url or _url(path, records)
        headers = {"X-CSRF-Token": client.csrf} if csrf and client.csrf else {}
        if method in UNSAFE:
            payload = body if body is not None else {**JSON_BY_PATH.get(path, JSON), "technician_id": technician}
            response = await client.http.request(method.upper(), url, json=payload, headers=headers)
        else:
            response = await client.http.request(method.upper(), url, headers=headers)
        try:
            content = response.json()
        except ValueError:
            content = response.text[:100]
        answered.append((method, path, response.status_code, content))

    async with staff_client(runtime, "admin") as admin:
        await admin.page("/admin/me")
        document = (await admin.http.get("/admin/openapi.json")).json()
        operations = [(method, path, spec) for path, item in document["paths"].items()
                      for method, spec in item.items() if path.startswith("/admin/api/")]
        assert len(operations) > 25, [p for _, p, _ in operations]

        async with staff_client(runtime) as anonymous, staff_client(runtime, "baoan") as guard, \
                staff_client(runtime, "sweep.manager") as stranger:
            for client in (guard, stranger):
                await client.page("/admin/me")
            for method, path, _ in operations:
                await send(anonymous, method, path)  # 401
                await send(guard, method, path)  # 403 for most sections
                await send(stranger, method, path)  # another community's record: 404
                if method in UNSAFE:
                    await send(admin, method, path, csrf=False)  # 403
                    await send(admin, method, path, body=[])  # 422
                if any(isinstance(records.get(name, Record(object, "", "")).key, int) for name in _params(path)):
                    malformed = {name: replace(r, key="not-a-number") if isinstance(r.key, int) else r
                                 for name, r in records.items()}
                    await send(admin, method, path, url=_url(path, malformed))  # 422
        for method, path, _ in sorted(operations, key=lambda o: (o[0] != "get", o[0] == "delete")):
            await send(admin, method, path)
            if method in UNSAFE:
                await send(admin, method, path)  # the same write again: 409 where the state moved on

    declared = {(method, path): set(spec.get("responses", {})) for method, path, spec in operations}
    undeclared = sorted({f"{method.upper()} {path}: {status}" for method, path, status, _ in answered
                         if str(status) not in declared[(method, path)] and "default" not in declared[(method, path)]})
    shapes = sorted({f"{method.upper()} {path}: {status} {problem}" for method, path, status, body in answered
                     if status >= 400 and (problem := _error_shape(status, body))})
    assert not undeclared, "statuses answered but not in the OpenAPI document:\n" + "\n".join(undeclared)
    assert not shapes, "error bodies of another shape:\n" + "\n".join(shapes)
    seen = {status for *_, status, _ in answered}
    assert {200, 401, 403, 404, 409, 422} <= seen, seen  # every kind of answer was provoked at least once
