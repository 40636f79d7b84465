"""OpenTravel group blocks over HTTP: ``POST /api/v1/ota/HotelInvBlockNotif`` and
``POST /api/v1/ota/HotelInvBlock`` (docs/opentravel.md).

Every answer on these routes is an OpenTravel response (``…RS`` with ``Success``, ``Warnings`` or
``Errors``), never problem+json: a refused credential, a body too large, malformed or hostile XML and an
unexpected failure included. The HTTP status says the same as the JSON API's would (200, 400, 401,
403, 404, 409, 412, 413, 415, 422, 500, 503), so a client may read either.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.exceptions import HTTPException

from app.api.deps import SessionDep, get_principal, reads_first
from app.api.problems import RETRY_AFTER_SECONDS, is_unavailable
from app.services import opentravel as ota
from app.services.auth import Principal
from app.services.errors import ServiceError

log = logging.getLogger("attrition")

router = APIRouter(tags=["OpenTravel"])

NOTIF_RS = "OTA_HotelInvBlockNotifRS"
BLOCK_RS = "OTA_HotelInvBlockRS"
MEDIA_TYPE = "application/xml; charset=utf-8"
PREFIX = "/api/v1/ota/"

_XML = {"application/xml": {"schema": {"type": "string"}}}


def _documented(request_root: str, response_root: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": f"An {request_root} message (namespace {ota.NS}), at most "
            f"{ota.MAX_MESSAGE_BYTES:,} bytes; no DTD or entities.",
            "content": _XML,
        },
        "responses": {
            "200": {"description": f"{response_root} with Success (and any Warnings)", "content": _XML},
            **{
                str(status): {"description": f"{response_root} with Errors: {text}", "content": _XML}
                for status, text in (
                    (400, "malformed or refused XML"),
                    (401, "credentials required"),
                    (403, "not allowed"),
                    (404, "no such hotel or block"),
                    (413, "message too large"),
                    (415, "not XML"),
                    (405, "another method than POST"),
                    (409, "a conflicting block"),
                    (412, "the block changed at the same moment"),
                    (422, "the message cannot be applied"),
                    (500, "unexpected failure"),
                    (503, "busy: send it again after Retry-After seconds"),
                )
            },
        },
    }


def _answer(body: bytes, status: int) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 413:  # the rest of the body is never read (as app.api.middleware does)
        headers["Connection"] = "close"
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def refusal(status: int, detail: str) -> Callable[[Any, Any, Any], Awaitable[None]]:
    """The body-size middleware's answer on these routes (an ASGI app): an OpenTravel error."""
    issue = ota.Issue(ota.EWT_PROTOCOL, ota.ERR_UNABLE, detail)

    async def respond(scope: Any, receive: Any, send: Any) -> None:
        name = BLOCK_RS if scope.get("path", "").rstrip("/").endswith("/HotelInvBlock") else NOTIF_RS
        body = ota.error_response(name, ota.Envelope(), [issue], datetime.now(UTC))
        await _answer(body, status)(scope, receive, send)

    return respond


async def read_body(request: Request) -> bytes | ota.OtaError:
    """The raw message, or the OpenTravel error that refuses it (a dependency never raises here, so
    that no refusal becomes problem+json)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ota.MEDIA_TYPES:
        return ota.OtaError(
            415,
            [ota.Issue(ota.EWT_PROTOCOL, ota.ERR_INVALID_FORMAT, "send the message as application/xml")],
        )
    try:
        return await request.body()
    except HTTPException as error:  # the body passed its size limit (app.api.middleware)
        return ota.OtaError(
            error.status_code, [ota.Issue(ota.EWT_PROTOCOL, ota.ERR_UNABLE, str(error.detail))]
        )
    except Exception as error:  # a client that hangs up mid-body
        return ota.OtaError(
            400, [ota.Issue(ota.EWT_PROTOCOL, ota.ERR_UNABLE, f"the body could not be read: {error}")]
        )


Body = Annotated[bytes | ota.OtaError, Depends(read_body)]


def _authenticate(request: Request, session: Session) -> Principal:
    try:
        return get_principal(
            request, session, request.headers.get("authorization"), request.headers.get("x-api-key")
        )
    except ServiceError as error:
        raise ota.from_service_error(error) from None


def _message(request: Request, session: Session, body: bytes | ota.OtaError) -> tuple[Principal, Any]:
    if request.query_params:
        raise ota.OtaError(
            400,
            [ota.Issue(ota.EWT_PROTOCOL, ota.ERR_INVALID_VALUE, "this address reads no query parameters")],
        )
    principal = _authenticate(request, session)  # before any XML is parsed
    if isinstance(body, ota.OtaError):
        raise body
    return principal, ota.read_message(body)


def _handle(
    request: Request,
    session: Session,
    body: bytes | ota.OtaError,
    response_root: str,
    work: Callable[[Principal, Any, datetime], tuple[ota.Envelope, bytes]],
) -> Response:
    now = datetime.now(UTC)
    echo = ota.Envelope()
    try:
        principal, root = _message(request, session, body)
        echo = ota.envelope(root)
        echo, answer = work(principal, root, now)
        session.commit()
        return _answer(answer, 200)
    except ota.OtaError as error:
        _rollback(session)
        return _answer(ota.error_response(response_root, echo, error.issues, now), error.status)
    except Exception as error:
        _rollback(session)
        if is_unavailable(error):  # as the JSON API: 503, retry in a moment
            log.warning("database busy or unreachable on %s: %s", request.url.path, error)
            busy = ota.Issue(
                ota.EWT_PROCESSING, ota.ERR_SYSTEM, "the service is busy: send the message again"
            )
            response = _answer(ota.error_response(response_root, echo, [busy], now), 503)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        # Not log.exception: a sync route runs in a worker thread.
        log.error("OpenTravel message failed on %s", request.url.path, exc_info=error)
        issue = ota.Issue(
            ota.EWT_PROCESSING, ota.ERR_SYSTEM, "the message could not be processed: send it again later"
        )
        return _answer(ota.error_response(response_root, echo, [issue], now), 500)


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # a dropped connection: nothing was committed
        log.warning("rollback failed after an OpenTravel error", exc_info=True)


@router.post(
    "/ota/HotelInvBlockNotif",
    openapi_extra=_documented("OTA_HotelInvBlockNotifRQ", NOTIF_RS),
    response_class=Response,
    summary="OpenTravel: create, replace or cancel a group block and record its pickup",
)
def hotel_inv_block_notif(request: Request, session: SessionDep, body: Body) -> Response:
    def work(principal: Principal, root: Any, now: datetime) -> tuple[ota.Envelope, bytes]:
        echo = ota.envelope(root)
        message = ota.read_notification(root)
        stamp = ota.required_timestamp(echo, root)
        outcome = ota.apply_notification(session, principal, message, stamp)
        return echo, ota.notif_response(echo, outcome, now)

    return _handle(request, session, body, NOTIF_RS, work)


@router.post(
    "/ota/HotelInvBlock",
    openapi_extra=_documented("OTA_HotelInvBlockRQ", BLOCK_RS),
    response_class=Response,
    summary="OpenTravel: read group blocks with their pickup",
)
@reads_first
def hotel_inv_block(request: Request, session: SessionDep, body: Body) -> Response:
    def work(principal: Principal, root: Any, now: datetime) -> tuple[ota.Envelope, bytes]:
        echo = ota.envelope(root)
        requests = ota.read_block_requests(root)
        views = [ota.load_block(session, principal, item, now) for item in requests]
        return echo, ota.block_response(echo, views, now)

    return _handle(request, session, body, BLOCK_RS, work)


@router.api_route(
    "/ota/{message}",
    methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
def other_methods(message: str) -> Response:
    """Only POST is taken; the refusal is an OpenTravel error too."""
    name = BLOCK_RS if message == "HotelInvBlock" else NOTIF_RS
    issue = ota.Issue(ota.EWT_PROTOCOL, ota.ERR_UNABLE, "send OpenTravel messages with POST")
    response = _answer(ota.error_response(name, ota.Envelope(), [issue], datetime.now(UTC)), 405)
    response.headers["Allow"] = "POST"
    return response
