"""Deadline calendar feeds in the staff pages: make, list and revoke the feed URLs of a contract and of a
property, and see the deadlines a contract's feed holds.

A new feed's URL is shown in the answer to the form that made it and never again (only its SHA-256 is
kept), so that answer is a page (201), not a redirect; a revocation redirects (Post/Redirect/Get).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.api.deps import SessionDep
from app.persistence import repositories as repo
from app.services import calendar_feeds as feeds
from app.services.assessments import hotel_today
from app.services.auth import Principal
from app.services.contracts import load_contract
from app.services.deadlines import contract_deadlines, deadline_text
from app.services.errors import ConflictError, InvalidInputError
from app.services.properties import get_property
from app.web.deps import CheckedStaffDep, StaffDep
from app.web.templating import page_context, templates
from app.web.views import PAGE_LANGUAGE, Formats

router = APIRouter(include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
#: The feeds a page lists (newest first); the service bounds the live ones at MAX_ACTIVE_FEEDS.
LISTED_FEEDS = 100


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: int
    label: str
    created_at: datetime
    status: str
    can_revoke: bool


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    on: date
    title: str
    description: str
    is_past: bool


@dataclass(frozen=True, slots=True)
class CalendarPage:
    action: str  # where the forms post
    back_url: str
    back_text: str
    heading: str
    covers: str  # what the feed holds, in a sentence
    feeds: tuple[FeedRow, ...]
    total: int
    can_write: bool
    label: str
    errors: Mapping[str, tuple[str, ...]]
    new_url: str
    deadlines: tuple[DeadlineRow, ...]
    property_url: str  # the property's feed page, from a contract's


def _rows(
    session: Session, principal: Principal, owner: feeds.Owner, can_write: bool
) -> tuple[tuple[FeedRow, ...], int]:
    items, total = feeds.list_feeds(session, principal, owner, repo.Page(LISTED_FEEDS, 0))
    rows = tuple(
        FeedRow(
            item.record.id or 0,
            item.record.label,
            item.record.created_at,
            item.status.value,
            can_write and item.status is feeds.FeedStatus.ACTIVE,
        )
        for item in items
    )
    return rows, total


def _contract_page(
    session: Session,
    principal: Principal,
    contract_id: int,
    *,
    label: str = "",
    errors: Mapping[str, tuple[str, ...]] | None = None,
    new_url: str = "",
) -> tuple[CalendarPage, str]:
    stored = load_contract(session, principal, contract_id)
    record = stored.record
    owner = feeds.Owner(record.property_id, contract_id)
    can_write = principal.can_write and principal.can_see(record.property_id)
    rows, total = _rows(session, principal, owner, can_write)
    locale = stored.terms.property.locale
    fmt = Formats.of(locale)
    today = hotel_today(stored.terms.property.timezone)
    deadlines = []
    for deadline in feeds.deadlines_in_feed(record, contract_deadlines(session, stored)):
        text = deadline_text(deadline, PAGE_LANGUAGE, str(fmt.locale))
        deadlines.append(DeadlineRow(deadline.on, text.title, text.description, deadline.on < today))
    name = record.name or record.reference
    page = CalendarPage(
        action=f"/contracts/{contract_id}/calendar",
        back_url=f"/contracts/{contract_id}",
        back_text=name,
        heading=f"Calendar feed for {name}",
        covers=(
            "A calendar feed puts this contract's deadlines in a calendar application (Outlook, Google "
            "Calendar, Apple Calendar): the cut-off, the last day to reduce the block, each date the "
            "cancellation charge changes, arrival, departure and the due date of each unpaid invoice, "
            "with a reminder before each. Subscribe to its URL; revoking it stops it for everyone."
        ),
        feeds=rows,
        total=total,
        can_write=can_write,
        label=label,
        errors=errors or {},
        new_url=new_url,
        deadlines=tuple(deadlines),
        property_url=f"/properties/{record.property_id}/calendar",
    )
    return page, locale


def _property_page(
    session: Session,
    principal: Principal,
    property_id: int,
    *,
    label: str = "",
    errors: Mapping[str, tuple[str, ...]] | None = None,
    new_url: str = "",
) -> tuple[CalendarPage, str]:
    prop = get_property(session, principal, property_id)
    owner = feeds.Owner(property_id, None)
    can_write = principal.can_write and principal.can_see(property_id)
    rows, total = _rows(session, principal, owner, can_write)
    page = CalendarPage(
        action=f"/properties/{property_id}/calendar",
        back_url="/",
        back_text="Contracts",
        heading=f"Calendar feed for {prop.name}",
        covers=(
            f"A property feed holds the deadlines of every contract at {prop.name} that is neither "
            f"cancelled nor completed (up to {feeds.MAX_FEED_CONTRACTS} contracts, from those that "
            f"departed in the last {feeds.PAST_DAYS} days, by arrival): cut-offs, review dates, "
            "cancellation scale changes, arrivals, departures and unpaid invoices' due dates. Subscribe to "
            "its URL in a calendar application; revoking it stops it for everyone."
        ),
        feeds=rows,
        total=total,
        can_write=can_write,
        label=label,
        errors=errors or {},
        new_url=new_url,
        deadlines=(),
        property_url="",
    )
    return page, prop.locale


def _render(request: Request, staff: Any, page: CalendarPage, locale: str, status: int = 200) -> Response:
    context = page_context(
        title=page.heading, staff=staff, page=page, csrf_token=staff.csrf_token, locale=locale
    )
    return templates.TemplateResponse(
        request, "calendar.html", context, status_code=status, headers=_NO_STORE
    )


@dataclass(frozen=True, slots=True)
class FeedForm:
    action: str
    label: str
    feed_id: str


async def feed_form(request: Request) -> FeedForm:
    data = await request.form()

    def text(name: str, limit: int) -> str:
        value = data.get(name)
        return value[:limit] if isinstance(value, str) else ""

    # The label is cut well above its 200-character bound, so that a longer one is refused, not cut.
    return FeedForm(text("action", 20), text("label", 1000), text("feed_id", 20))


FeedFormDep = Annotated[FeedForm, Depends(feed_form)]


def _change(
    request: Request,
    session: Session,
    staff: Any,
    owner: feeds.Owner,
    form: FeedForm,
    page_of: Any,
    key: int,
) -> Response:
    action_url = (
        f"/contracts/{owner.contract_id}/calendar"
        if owner.contract_id is not None
        else f"/properties/{owner.property_id}/calendar"
    )
    if form.action == "revoke":
        feed_id = int(form.feed_id) if form.feed_id.isdigit() else -1
        feeds.revoke_feed(session, staff.principal, owner, feed_id)
        session.commit()
        return RedirectResponse(action_url, status_code=303)
    try:
        _, token = feeds.create_feed(session, staff.principal, owner, {"label": form.label})
    except (InvalidInputError, ConflictError) as error:
        session.rollback()
        errors: dict[str, tuple[str, ...]] = {}
        for problem in error.problems:
            errors[problem.field] = (*errors.get(problem.field, ()), problem.message)
        if not error.problems:
            errors[""] = (error.detail,)
        page, locale = page_of(session, staff.principal, key, label=form.label, errors=errors)
        return _render(request, staff, page, locale, status=error.status)
    session.commit()
    url = feeds.feed_url(str(request.base_url), token)
    page, locale = page_of(session, staff.principal, key, new_url=url)
    # The token is not stored, so this answer is the only place it appears: shown here, not redirected.
    return _render(request, staff, page, locale, status=201)


@router.get("/contracts/{contract_id:int}/calendar", response_class=HTMLResponse)
def contract_calendar(contract_id: int, request: Request, session: SessionDep, staff: StaffDep) -> Response:
    page, locale = _contract_page(session, staff.principal, contract_id)
    return _render(request, staff, page, locale)


@router.post("/contracts/{contract_id:int}/calendar", response_class=HTMLResponse)
def change_contract_calendar(
    contract_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep, form: FeedFormDep
) -> Response:
    owner = feeds.contract_owner(session, staff.principal, contract_id)
    return _change(request, session, staff, owner, form, _contract_page, contract_id)


@router.get("/properties/{property_id:int}/calendar", response_class=HTMLResponse)
def property_calendar(property_id: int, request: Request, session: SessionDep, staff: StaffDep) -> Response:
    page, locale = _property_page(session, staff.principal, property_id)
    return _render(request, staff, page, locale)


@router.post("/properties/{property_id:int}/calendar", response_class=HTMLResponse)
def change_property_calendar(
    property_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep, form: FeedFormDep
) -> Response:
    owner = feeds.property_owner(session, staff.principal, property_id)
    return _change(request, session, staff, owner, form, _property_page, property_id)
