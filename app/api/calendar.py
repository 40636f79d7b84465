"""Deadline calendar feeds: make, list and revoke them under a property or a contract, and the feed itself.

The feed (``GET /calendar/{token}.ics``) needs no credentials: its token is the credential, shown once
when the feed is made. It is left out of the OpenAPI document, as calendar applications read it, not
integrators' code; the README describes it.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import JsonBody, Limit, Offset, Once, OnceDep, PrincipalDep, SessionDep, body_schema
from app.api.schemas import Page
from app.persistence import repositories as repo
from app.services import calendar_feeds as service
from app.services.calendar_feeds import FeedStatus
from app.services.idempotency import Outcome

router = APIRouter(tags=["calendar feeds"])
feed = APIRouter(include_in_schema=False)


class CalendarFeedPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    property_id: int
    contract_id: int | None = Field(description="Empty for a feed of the whole property")
    label: str
    status: FeedStatus
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class CalendarFeedCreated(CalendarFeedPublic):
    url: str = Field(description="The feed's URL (text/calendar); shown only in this answer")


def _public(item: service.CalendarFeed) -> CalendarFeedPublic:
    record = item.record
    return CalendarFeedPublic.model_validate({**record.model_dump(), "status": item.status})


def _created(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    owner: service.Owner,
    body: object,
    once: Once,
) -> JSONResponse:
    """Make the feed; its URL is answered once: an Idempotency-Key replay answers it with an empty URL,
    since only the token's SHA-256 is kept."""

    def write() -> Outcome:
        record, token = service.create_feed(session, principal, owner, body)
        created = CalendarFeedCreated.model_validate(
            {
                **_public(service.CalendarFeed(record)).model_dump(),
                "url": service.feed_url(str(request.base_url), token),
            }
        )
        kept = created.model_copy(update={"url": ""})
        return Outcome(201, created.model_dump(mode="json"), kept=kept.model_dump(mode="json"))

    base = f"/api/v1/{'properties' if owner.contract_id is None else 'contracts'}"
    of = owner.property_id if owner.contract_id is None else owner.contract_id
    return once.answer(
        session,
        principal,
        write,
        lambda body: {"Location": f"{base}/{of}/calendar-feeds/{body['id']}", "Cache-Control": "no-store"},
    )


def _page(items: list[service.CalendarFeed], total: int, limit: int, offset: int) -> Page[CalendarFeedPublic]:
    return Page[CalendarFeedPublic](
        items=[_public(item) for item in items], total=total, limit=limit, offset=offset
    )


_CREATE = {
    "status_code": 201,
    "response_model": CalendarFeedCreated,
    "openapi_extra": body_schema(service.CalendarFeedCreate, "CalendarFeedCreate"),
}


@router.post(
    "/properties/{property_id}/calendar-feeds",
    summary="Make a deadline calendar feed of the property's open contracts (its URL is shown once)",
    **_CREATE,  # type: ignore[arg-type]
)
def create_property_feed(
    property_id: int,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    once: OnceDep,
) -> JSONResponse:
    owner = service.property_owner(session, principal, property_id)
    return _created(request, session, principal, owner, body, once)


@router.get(
    "/properties/{property_id}/calendar-feeds",
    response_model=Page[CalendarFeedPublic],
    summary="List the property's calendar feeds, newest first",
)
def list_property_feeds(
    property_id: int, session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[CalendarFeedPublic]:
    owner = service.property_owner(session, principal, property_id)
    items, total = service.list_feeds(session, principal, owner, repo.Page(limit, offset))
    return _page(items, total, limit, offset)


@router.post(
    "/properties/{property_id}/calendar-feeds/{feed_id}/revoke",
    response_model=CalendarFeedPublic,
    summary="Revoke a property calendar feed: its URL answers 410 from now on",
)
def revoke_property_feed(
    property_id: int, feed_id: int, session: SessionDep, principal: PrincipalDep, once: OnceDep
) -> JSONResponse:
    owner = service.property_owner(session, principal, property_id)

    def write() -> Outcome:
        revoked = service.revoke_feed(session, principal, owner, feed_id)
        return Outcome(200, _public(revoked).model_dump(mode="json"))

    return once.answer(session, principal, write)


@router.post(
    "/contracts/{contract_id}/calendar-feeds",
    summary="Make a deadline calendar feed of one contract (its URL is shown once)",
    **_CREATE,  # type: ignore[arg-type]
)
def create_contract_feed(
    contract_id: int,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    once: OnceDep,
) -> JSONResponse:
    owner = service.contract_owner(session, principal, contract_id)
    return _created(request, session, principal, owner, body, once)


@router.get(
    "/contracts/{contract_id}/calendar-feeds",
    response_model=Page[CalendarFeedPublic],
    summary="List the contract's calendar feeds, newest first",
)
def list_contract_feeds(
    contract_id: int, session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[CalendarFeedPublic]:
    owner = service.contract_owner(session, principal, contract_id)
    items, total = service.list_feeds(session, principal, owner, repo.Page(limit, offset))
    return _page(items, total, limit, offset)


@router.post(
    "/contracts/{contract_id}/calendar-feeds/{feed_id}/revoke",
    response_model=CalendarFeedPublic,
    summary="Revoke a contract calendar feed: its URL answers 410 from now on",
)
def revoke_contract_feed(
    contract_id: int, feed_id: int, session: SessionDep, principal: PrincipalDep, once: OnceDep
) -> JSONResponse:
    owner = service.contract_owner(session, principal, contract_id)

    def write() -> Outcome:
        revoked = service.revoke_feed(session, principal, owner, feed_id)
        return Outcome(200, _public(revoked).model_dump(mode="json"))

    return once.answer(session, principal, write)


_GONE = "This calendar feed is no longer valid. Ask the hotel for a new one.\n"


@feed.get("/calendar/{token}.ics")
def calendar_feed(token: str, session: SessionDep) -> Response:
    """The feed's iCalendar text. A revoked or unknown token is 410, the same for both."""
    headers = {"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"}
    try:
        body = service.feed_calendar(session, token)
    except service.FeedGoneError:
        return Response(_GONE, status_code=410, media_type="text/plain; charset=utf-8", headers=headers)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={**headers, "Content-Disposition": 'inline; filename="deadlines.ics"'},
    )
