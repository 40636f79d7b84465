"""What every JSON operation follows, applied by ``create_app`` to each router of its API list
(``apply_all``), so that a route added later follows it without saying so (README, "Integration";
``tests/api/test_api_conventions.py`` walks every route):

- its operation id is its function's name in camelCase (``create_property`` -> ``createProperty``);
- it documents only the problems it can answer, derived from what it reads: credentials (401, 403),
  ids in its path or query (404), a body (400, 413, 415, 422), ``If-Match`` (412, 428), query
  parameters (422: unknown ones are refused), the database (503); a route adds what its work may
  refuse (409, 429, the 404 of an id its body names) in its own ``responses``;
- the headers it answers with are documented: ``Retry-After`` on 429 and 503, ``WWW-Authenticate`` on
  401, ``Idempotent-Replayed`` on the success of every POST (``app.api.deps.Once``), and ``ETag`` and
  ``Location`` where a route declares them (``ETAG``, ``LOCATION``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.api.deps import get_principal

PROBLEM_TEXT = {
    400: "Malformed request: a body that is not JSON, or cannot be read",
    401: "Credentials required",
    403: "Not allowed: the key may not read or change this",
    404: "Not found",
    409: "Conflict",
    412: "Stale If-Match: the resource changed since you read it",
    413: "Body too large (README, Body sizes)",
    415: "Unsupported media type",
    422: "Invalid input: each problem names its field (or query parameter, or header)",
    428: "If-Match required",
    429: "Too many requests: retry after Retry-After seconds",
    503: "Busy or unreachable database: retry after Retry-After seconds",
}


def _header(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


ETAG = {"ETag": _header('The revision, as in "r3": send it back in If-Match to change the resource')}
LOCATION = {"Location": _header("The URL of what was made")}
REPLAYED = {
    "Idempotent-Replayed": _header(
        "`true` when a retry with the same Idempotency-Key got the first answer again (nothing written)",
        {"type": "string", "enum": ["true"]},
    )
}
RETRY_AFTER = {"Retry-After": _header("Seconds to wait before retrying", {"type": "integer"})}
WWW_AUTHENTICATE = {"WWW-Authenticate": _header('Bearer realm="attrition"')}

_WORDS = re.compile(r"_+([a-z0-9])")


def operation_id(route: APIRoute) -> str:
    """The route's function name in camelCase: unique, since a test refuses two routes of one name."""
    return _WORDS.sub(lambda match: match.group(1).upper(), route.name)


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    pending = [dependant]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(current.dependencies)


def has_body(route: APIRoute) -> bool:
    return route.body_field is not None or "requestBody" in (route.openapi_extra or {})


def header_names(route: APIRoute) -> set[str]:
    return {field.alias.lower() for d in _dependants(route.dependant) for field in d.header_params}


def problem_statuses(route: APIRoute) -> set[int]:
    """The problems ``route`` can answer, from what it reads, and those it declares itself."""
    dependants = list(_dependants(route.dependant))
    statuses = {422, 503} | {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
    if any(d.call is get_principal for d in dependants):
        statuses |= {401, 403}
    if any(d.path_params for d in dependants) or any(
        field.alias.endswith("_id") for d in dependants for field in d.query_params
    ):
        statuses.add(404)  # an id in the path, or one a query names (?property_id=)
    if has_body(route):
        statuses |= {400, 413, 415, 422}
    if "if-match" in header_names(route):
        statuses |= {412, 428}
    return statuses


def success_status(route: APIRoute) -> int:
    return route.status_code or 200


def apply(route: APIRoute) -> None:
    """Document the problems and headers of ``route`` (in place; FastAPI reads them for the OpenAPI)."""
    for status in sorted(problem_statuses(route)):
        response = route.responses.setdefault(status, {})
        response.setdefault("description", PROBLEM_TEXT.get(status, HTTPStatus(status).phrase))
        media = response.setdefault("content", {}).setdefault("application/problem+json", {})
        media.setdefault("schema", {"$ref": "#/components/schemas/ProblemDetails"})  # an example is kept
        if status in (429, 503):
            response.setdefault("headers", {}).update(RETRY_AFTER)
        if status == 401:
            response.setdefault("headers", {}).update(WWW_AUTHENTICATE)
    if "POST" in (route.methods or ()):
        success = route.responses.setdefault(success_status(route), {})
        success.setdefault("headers", {}).update(REPLAYED)


def apply_all(router: APIRouter) -> None:
    """``apply`` to each route of ``router`` (before it is included: FastAPI copies what it documents)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            apply(route)


def responses(status: int, headers: dict[str, Any], description: str = "") -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route whose answer ``status`` carries ``headers`` (``ETAG``, ``LOCATION``)."""
    answer: dict[str, Any] = {"headers": headers}
    if description:
        answer["description"] = description
    return {status: answer}


def conflict(description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route whose work may refuse with 409, saying when."""
    return {409: {"description": f"Conflict: {description}"}}


def not_found(description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route without path ids whose body names something that may not exist."""
    return {404: {"description": f"Not found: {description}"}}
