"""Dependency aliases (``SessionDep``, ``PrincipalDep``) and request-body reading.

Bodies are read here rather than by FastAPI's own model binding: the engine's models are strict, and
at this boundary they are validated with ``strict=False`` (dates as ISO text, amounts as quoted
decimals), exactly as contract files are. Their schemas still appear in the OpenAPI document
(``body_schema``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlmodel import Session
from starlette.exceptions import HTTPException

from app.persistence.db import writing
from app.services.auth import Principal, authenticate_api_key, authenticate_staff_session
from app.services.errors import (
    ForbiddenError,
    InvalidInputError,
    MalformedInputError,
    NotAuthenticatedError,
    PreconditionFailedError,
    PreconditionRequiredError,
    Problem,
    ServiceError,
)
from app.services.idempotency import MAX_KEY_LENGTH, Outcome, fingerprint, run_once
from app.services.inputs import parse_json

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

SESSION_COOKIE = "attrition_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Models whose JSON Schema goes into the OpenAPI components (see app.main.openapi_document).
BODY_SCHEMAS: dict[str, Any] = {}


class UnsupportedMediaTypeError(ServiceError):
    status = 415
    title = "Unsupported media type"


_READS_FIRST: set[Callable[..., Any]] = set()


def reads_first(endpoint: Endpoint) -> Endpoint:
    """Mark a non-GET route whose transactions begin as reads: one that writes nothing (a what-if, a
    stateless assessment), or one that does its slow work first and then takes the write lock itself
    for a short write (``app.persistence.db.begin_write``), as issuing an invoice does."""
    _READS_FIRST.add(endpoint)
    return endpoint


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; the route commits what it writes, anything else is rolled back.

    A ``GET`` or ``HEAD`` reads in deferred transactions (on SQLite they never wait for a writer); any
    other method starts its transactions as writes (``BEGIN IMMEDIATE`` on SQLite), lazily, at its first
    statement, so that it never holds the write lock while its body is still arriving."""
    with request.app.state.sessions() as session:
        route = request.scope.get("route")
        if (
            request.method not in _SAFE_METHODS
            and getattr(route, "endpoint", None) not in _READS_FIRST
            and isinstance(session.bind, sa.Engine)
        ):
            session.bind = writing(session.bind)
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def refuse_nameless_query(request: Request) -> None:
    """Query parameters the route does not read are refused, naming them, rather than ignored: a typo
    (``?as_off=``) would otherwise silently answer for another date. A nameless one (``?=1``) too."""
    names = [name for name, _ in request.query_params.multi_items()]
    if any(not name for name in names):
        raise InvalidInputError(
            "a query parameter has no name",
            [Problem("query", "every query parameter needs a name, as in ?as_of=2027-03-29")],
        )
    known = _query_names(request.scope.get("route"))
    unknown = sorted({name for name in names if name not in known}) if known is not None else []
    if unknown:
        accepted = ", ".join(sorted(known or ())) or "none"
        raise InvalidInputError(
            "unknown query parameters",
            [
                Problem(f"query.{name}", f"this endpoint reads no such parameter (it reads: {accepted})")
                for name in unknown
            ],
        )


def _query_names(route: Any) -> frozenset[str] | None:
    """The query parameters ``route`` declares (its dependencies' included), or None if it is not an
    API route (nothing is refused then)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        names.update(field.alias for field in current.query_params)
        pending.extend(current.dependencies)
    return frozenset(names)


def get_principal(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The caller, from an API key (``Authorization: Bearer atk_...`` or ``X-API-Key``) or a staff
    session cookie. A cookie-authenticated write must also carry the session's CSRF token."""
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise NotAuthenticatedError("use Authorization: Bearer <API key>")
        return authenticate_api_key(session, credentials.strip())
    if x_api_key:
        return authenticate_api_key(session, x_api_key.strip())
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        principal = authenticate_staff_session(session, token)
        sent = request.headers.get(CSRF_HEADER, "")
        if request.method not in _SAFE_METHODS and not secrets.compare_digest(
            sent, principal.csrf_token or ""
        ):
            raise ForbiddenError(f"a signed-in browser must send the {CSRF_HEADER} header with each change")
        return principal
    raise NotAuthenticatedError("credentials required: send an API key (Authorization: Bearer <key>)")


PrincipalDep = Annotated[Principal, Depends(get_principal)]

# Pagination of every list endpoint.
MAX_LIMIT = 500
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, at most {MAX_LIMIT}")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")]
# RFC 3339, as JSON Schema's date-time: seconds and an offset required (pydantic alone would also take
# a number of seconds since 1970, or a time without seconds).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and _RFC3339.match(value):
        return value
    raise PydanticCustomError(
        "datetime_format", "a time with its offset, as 2027-03-01T09:00:00Z or 2027-03-01T10:00:00+01:00"
    )


Rfc3339Time = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": _RFC3339.pattern}),
]
UpdatedSince = Annotated[
    Rfc3339Time | None,
    Query(
        description="Only what was made or changed at or after this time, with its offset "
        "(2027-03-01T09:00:00Z): keep the time of your last sync and send it again"
    ),
]

IfMatch = Annotated[
    str | None,
    Header(description='The ETag you read (for example "r3"); a stale one gets 412, none gets 428'),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            f"1 to {MAX_KEY_LENGTH} printable characters. A retry with the same key within 24 hours gets "
            "the first answer again (with Idempotent-Replayed: true) and writes nothing; the same key "
            "with another request is a 422 naming this header"
        ),
    ),
]


@dataclass(frozen=True, slots=True)
class Once:
    """A POST's ``Idempotency-Key`` and the fingerprint of its request (method, path, query, body)."""

    key: str | None
    fingerprint: str
    #: The request's method, path and query, for a fingerprint of content the route reads itself.
    address: str = ""

    def answer(
        self,
        session: Session,
        principal: Principal,
        write: Callable[[], Outcome],
        headers: Callable[[dict[str, Any]], dict[str, str]] = lambda body: {},
        content: tuple[bytes | str, ...] | None = None,
    ) -> JSONResponse:
        """Run ``write`` (which must not commit) once per key, commit, and answer its outcome; the
        headers are made from the body, so that a replay has them too. ``content``: what identifies the
        request instead of its body bytes (an upload's file, whose multipart boundary changes on each
        retry)."""
        print_ = self.fingerprint if content is None else fingerprint(self.address, *content)
        outcome = run_once(session, principal, self.key, print_, write)
        session.commit()
        answered = headers(outcome.body)
        if outcome.replayed:
            answered["Idempotent-Replayed"] = "true"
        return JSONResponse(outcome.body, status_code=outcome.status, headers=answered)


async def once(request: Request, idempotency_key: IdempotencyKey = None) -> Once:
    """The key and fingerprint of a POST. Another dependency that reads the body must read it with
    ``request.body()`` (kept for the next reader), not consume the stream."""
    if idempotency_key is None:
        return Once(None, "")
    try:
        body = await request.body()
    except HTTPException:  # the body passed its size limit (app.api.middleware): 413
        raise
    except Exception as error:  # a client that hangs up mid-body
        raise MalformedInputError(f"the body could not be read: {error}") from None
    query = sorted(request.query_params.multi_items())
    address = f"{request.method} {request.url.path} {query!r}"
    media = request.headers.get("content-type", "")
    return Once(idempotency_key, fingerprint(address, media, body), address)


OnceDep = Annotated[Once, Depends(once)]

# If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches.
_ETAG = re.compile(r'^"r(\d{1,18})"$')


def etag(revision: int) -> str:
    return f'"r{revision}"'


def expected_revision(if_match: str | None) -> int:
    """The revision an ``If-Match`` header names; 428 without one, 412 for one we never issued."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequiredError("send If-Match with the ETag you read, so that no change is lost")
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise PreconditionFailedError("If-Match does not name a version of this resource")
    return int(match.group(1))


def body_schema(model: Any, name: str, *, content_type: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its body with :func:`read_json`."""
    BODY_SCHEMAS[name] = model
    return {
        "requestBody": {
            "required": True,
            "content": {content_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    }


async def read_json_bytes(request: Request, what: str = "the body") -> bytes:
    """The raw body of a request that must be JSON (415 otherwise, 400 if it cannot be read)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaTypeError(f"send {what} as application/json")
    try:
        return await request.body()
    except HTTPException:  # the body passed its size limit (app.api.middleware): 413
        raise
    except Exception as error:  # a client that hangs up mid-body
        raise MalformedInputError(f"the body could not be read: {error}") from None


async def read_json(request: Request) -> Any:
    return parse_json(await read_json_bytes(request))


JsonBody = Annotated[Any, Depends(read_json)]
