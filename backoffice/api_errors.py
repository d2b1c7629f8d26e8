"""The staff JSON API's errors: one body shape, `{"detail": ...}`, and every status an operation can answer declared
in the OpenAPI document (/admin/openapi.json).

    401 {"detail": "请先登录。"}                  no staff session
    403 {"detail": "..."}                          the role may not; a write without the session's CSRF token
    404 {"detail": "..."}                          no such record, or another community's (the same answer)
    409 {"detail": "..."}                          the record is not in a state for this, or changed meanwhile
    422 {"detail": [{"loc", "msg", "type"}]}       a bad field: FastAPI's validation errors and `field_error`

`declare_errors(router)` adds these to each JSON operation from its shape (`build_backoffice` calls it for every
section); an operation with another status declares it itself with `responses=`. tests/backoffice/
test_api_contract.py sends every operation the requests that produce each status and checks both.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.routing import APIRoute
from pydantic import BaseModel

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorOut(BaseModel):
    """An error of the staff API: a sentence in Chinese to show as it is."""

    detail: str


def field_error(field: str, message: str, *, where: str = "body") -> HTTPException:
    """A 422 for one bad field, shaped like FastAPI's own validation errors."""
    return HTTPException(status_code=422, detail=[{"loc": [where, field], "msg": message, "type": "value_error"}])


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


def standard_errors(route: APIRoute) -> dict[int | str, dict[str, Any]]:
    """The statuses an operation of this shape can answer besides its own success."""
    names_record = "{" in route.path
    writes = bool(route.methods & UNSAFE)
    errors: dict[int | str, dict[str, Any]] = {401: _error("没有登录"), 403: _error("岗位无权限，或缺少 CSRF 令牌")}
    if names_record or writes or _takes_community(route):
        errors[404] = _error("没有这条记录，或不属于您负责的小区")
    if writes:
        errors[409] = _error("记录当前的状态不允许这样操作，或刚被别人改过")
    return errors


def _takes_community(route: APIRoute) -> bool:
    return any(param.name == "community_id" for param in route.dependant.query_params)


def declare_errors(router: APIRouter) -> None:
    """Declare the standard errors on every JSON operation of `router` (pages are not in the schema)."""
    for route in router.routes:
        included = getattr(route, "original_router", None)  # a router the section includes (faq/api.py)
        if isinstance(included, APIRouter):
            declare_errors(included)
        elif isinstance(route, APIRoute) and route.include_in_schema and route.path.startswith("/api/"):
            route.responses = {**standard_errors(route), **route.responses}
