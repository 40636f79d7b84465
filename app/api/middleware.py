"""Two pure ASGI middlewares: request bodies limited while they stream, and one retry of a read whose
database connection dropped.

Starlette's own ``RequestBodyLimitMiddleware`` has one limit for every body and answers ``text/plain``;
ours limits by media type (an upload may be larger than a form) and answers problem+json, at once when
``Content-Length`` is over the limit.

Both wrap the app outside FastAPI's exception handlers, which answer what they raise (a 413 is a
Starlette ``HTTPException``; a database error left after the retry is mapped to 503 by
``app.api.problems``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.api.problems import problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("attrition")

MB = 1_000_000


@dataclass(frozen=True, slots=True)
class BodyLimit:
    media: str
    max_bytes: int


#: The most a request body may carry, by its media type (documented in README, "Body sizes").
JSON_LIMIT = BodyLimit("JSON", 5 * MB)
CSV_LIMIT = BodyLimit("a CSV body", 10 * MB)
UPLOAD_LIMIT = BodyLimit("an upload", 10 * MB)
FORM_LIMIT = BodyLimit("a form", 1 * MB)
XML_LIMIT = BodyLimit("an XML message", 1 * MB)
OTHER_LIMIT = BodyLimit("a body", 1 * MB)


def body_limit(content_type: str) -> BodyLimit:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return JSON_LIMIT
    if media in {"text/csv", "text/plain", "application/csv"}:
        return CSV_LIMIT
    if media == "multipart/form-data":
        return UPLOAD_LIMIT
    if media == "application/x-www-form-urlencoded":
        return FORM_LIMIT
    if media in {"application/xml", "text/xml"} or media.endswith("+xml"):
        return XML_LIMIT
    return OTHER_LIMIT


#: Answers a refused body in a route's own format instead of problem+json: (status, detail) -> an app.
Refusal = Callable[[int, str], ASGIApp]


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` as soon as a body passes its limit. An ``HTTPException``, because FastAPI
    turns any other error raised while it parses a form into a 400, and lets this one through."""

    def __init__(self, limit: BodyLimit) -> None:
        megabytes = f"{limit.max_bytes / MB:g} MB"
        super().__init__(413, f"{limit.media} may be at most {megabytes} ({limit.max_bytes} bytes)", _CLOSE)


# The rest of a refused body is never read: uvicorn closes the connection after the answer instead of
# reading (and discarding) it to keep the connection alive.
_CLOSE = {"Connection": "close"}


class LimitBodySize:
    """Refuses a request body larger than its limit with 413, reading no more than the limit: at once
    when ``Content-Length`` says so, else as soon as the bytes received pass it (a chunked body)."""

    def __init__(self, app: ASGIApp, refusals: dict[str, Refusal] | None = None) -> None:
        self.app = app
        # Path prefix -> how routes under it answer a refused body (the OpenTravel routes answer XML).
        self.refusals = refusals or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.lower(): value for key, value in scope["headers"]}
        limit = body_limit(headers.get(b"content-type", b"").decode("latin-1"))
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit.max_bytes:
            error = BodyTooLargeError(limit)
            path, root = scope.get("path", ""), scope.get("root_path", "")
            path = path[len(root) :] if root and path.startswith(root) else path
            refusal = next(
                (answer for prefix, answer in self.refusals.items() if path.startswith(prefix)), None
            )
            if refusal is not None:
                await refusal(413, error.detail)(scope, receive, send)
                return
            await problem_response(413, error.detail, headers=_CLOSE)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            if received > limit.max_bytes:
                raise BodyTooLargeError(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, limited, send)


_IDEMPOTENT = {"GET", "HEAD"}


class RetryDroppedReads:
    """Runs a ``GET`` or ``HEAD`` once more when its database connection dropped before it answered
    (the pool has thrown the dead connection away, and pre-ping checks the others). Anything else that
    loses its connection is answered 503 by the error mapping: a write is never replayed, since it may
    have committed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _IDEMPOTENT:
            await self.app(scope, receive, send)
            return
        started = False
        messages: list[Message] = []

        async def recording() -> Message:
            message = await receive()
            messages.append(message)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, recording, watched)
        except sa.exc.DBAPIError as error:
            if started or not error.connection_invalidated:
                raise
            log.warning("database connection dropped on %s %s; retrying once", scope["method"], scope["path"])
            replay = list(messages)

            async def replaying() -> Message:
                return replay.pop(0) if replay else await receive()

            await self.app(scope, replaying, send)


class HeadWhereGet:
    """``HEAD`` wherever ``GET`` is, under ``prefix`` (RFC 9110 §9.3.2): FastAPI routes answer only the
    methods they name, and naming HEAD on each would add a second operation per path to the OpenAPI.
    A HEAD no route takes itself is run as the GET and answered with its status and headers (its
    ``Content-Length`` too) and no body."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or not scope["path"].startswith(self.prefix)
            or _taken(scope)
        ):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _taken(scope: Scope) -> bool:
    """Whether a route answers HEAD itself (the OpenTravel catch-all does)."""
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    return any(route.matches(scope)[0] == Match.FULL for route in routes)
