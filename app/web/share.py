"""Share links: the staff page that makes and revokes them, and the planner's exposure page they open.

The planner's page needs no login. Its token gives a principal that sees one property and cannot write
(``app.services.sharing``), and every page here takes the contract from the token, never from the URL,
so it cannot reach another contract. The what-if recomputes the damages with the settlement engine and
saves nothing (no commit), so it needs no CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app.api.deps import SessionDep, reads_first
from app.charts import ChartLabels, ChartNight, pickup_chart_svg
from app.engine import Assessment
from app.engine.contract import Contract, EvaluationMode
from app.engine.forecast import OVER_STAY_MODES, Exposure, allocate
from app.engine.money import Money
from app.engine.projection import method_name
from app.services import sharing
from app.services.assessments import assess_contract, hotel_today
from app.services.auth import Principal
from app.services.contracts import load_contract
from app.services.errors import InvalidInputError, ServiceError
from app.services.forecasts import forecast_contract, what_if
from app.web.deps import CheckedStaffDep, StaffDep
from app.web.room_shares import ShareRow, share_rows
from app.web.templating import babel_locale, page_context, templates
from app.web.terms import plain_terms
from app.web.views import Formats

router = APIRouter(include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


# --- staff: make, list and revoke links ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkRow:
    id: int
    label: str
    created_at: datetime
    expires_at: datetime
    status: str
    can_revoke: bool


@dataclass(frozen=True, slots=True)
class SharePage:
    contract_id: int
    contract_name: str
    links: tuple[LinkRow, ...]
    can_write: bool
    label: str
    days: str
    errors: Mapping[str, tuple[str, ...]]
    new_url: str
    max_days: int


def _share_page(
    session: Session,
    principal: Principal,
    contract_id: int,
    *,
    label: str = "",
    days: str = str(sharing.DEFAULT_DAYS),
    errors: Mapping[str, tuple[str, ...]] | None = None,
    new_url: str = "",
) -> tuple[SharePage, str]:
    stored = load_contract(session, principal, contract_id)
    record = stored.record
    can_write = principal.can_write and principal.can_see(record.property_id)
    links = tuple(
        LinkRow(
            link.record.id or 0,
            link.record.label,
            link.record.created_at,
            link.record.expires_at,
            link.status.value,
            can_write and link.status is sharing.LinkStatus.ACTIVE,
        )
        for link in sharing.list_share_links(session, principal, contract_id)
    )
    page = SharePage(
        contract_id,
        record.name or record.reference,
        links,
        can_write,
        label,
        days,
        errors or {},
        new_url,
        sharing.MAX_DAYS,
    )
    return page, stored.terms.property.locale


def _render_share(request: Request, staff: Any, page: SharePage, locale: str, status: int = 200) -> Response:
    context = page_context(
        title=f"Share {page.contract_name}",
        staff=staff,
        page=page,
        csrf_token=staff.csrf_token,
        locale=locale,
    )
    return templates.TemplateResponse(request, "share.html", context, status_code=status, headers=_NO_STORE)


@router.get("/contracts/{contract_id}/share", response_class=HTMLResponse)
def share_links(contract_id: int, request: Request, session: SessionDep, staff: StaffDep) -> Response:
    page, locale = _share_page(session, staff.principal, contract_id)
    return _render_share(request, staff, page, locale)


@dataclass(frozen=True, slots=True)
class ShareForm:
    action: str
    label: str
    days: str
    link_id: str


async def share_form(request: Request) -> ShareForm:
    data = await request.form()

    def text(name: str, limit: int = 1000) -> str:
        value = data.get(name)
        return value[:limit] if isinstance(value, str) else ""

    return ShareForm(text("action"), text("label"), text("expires_in_days", 20), text("link_id", 20))


ShareFormDep = Annotated[ShareForm, Depends(share_form)]


@router.post("/contracts/{contract_id}/share", response_class=HTMLResponse)
def change_share_links(
    contract_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep, form: ShareFormDep
) -> Response:
    if form.action == "revoke":
        link_id = int(form.link_id) if form.link_id.isdigit() else -1
        sharing.revoke_share_link(session, staff.principal, contract_id, link_id)
        session.commit()
        return RedirectResponse(f"/contracts/{contract_id}/share", status_code=303)
    days: Any = form.days.strip() or sharing.DEFAULT_DAYS
    try:
        _, token = sharing.create_share_link(
            session, staff.principal, contract_id, {"label": form.label, "expires_in_days": days}
        )
    except InvalidInputError as error:
        session.rollback()
        errors: dict[str, tuple[str, ...]] = {}
        for problem in error.problems:
            errors[problem.field] = (*errors.get(problem.field, ()), problem.message)
        page, locale = _share_page(
            session, staff.principal, contract_id, label=form.label, days=form.days, errors=errors
        )
        return _render_share(request, staff, page, locale, status=422)
    session.commit()
    url = str(request.base_url).rstrip("/") + sharing.SHARE_PATH + token
    page, locale = _share_page(session, staff.principal, contract_id, new_url=url)
    # The token is not stored, so this answer is the only place it appears: shown here, not redirected.
    return _render_share(request, staff, page, locale, status=201)


# --- the planner's page ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermLine:
    text: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class TermTopic:
    topic: str
    lines: tuple[TermLine, ...]


@dataclass(frozen=True, slots=True)
class NightRow:
    index: int
    night: date
    block_room_nights: int
    minimum_room_nights: Decimal | None
    pickup_room_nights: int | None
    shortfall_room_nights: Decimal | None
    still_needed_room_nights: int | None
    expected_room_nights: Decimal | None
    field_name: str
    field_value: str


@dataclass(frozen=True, slots=True)
class OwedLine:
    label: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    room_nights: int
    damages: Money


@dataclass(frozen=True, slots=True)
class Outlook:
    """The forecast's damages as a planner reads them."""

    expected: Money
    likely_worst: Money
    probability_pct: Decimal
    scenarios: int


@dataclass(frozen=True, slots=True)
class StayBreakEven:
    """For a clause that tests the whole stay: one figure, not one per night."""

    break_even_room_nights: int | None
    on_the_books: int | None
    still_needed_room_nights: int | None
    shortfall_room_nights: Decimal | None
    minimum_room_nights: Decimal | None


@dataclass(frozen=True, slots=True)
class WhatIfResult:
    total: Money | None
    lines: tuple[OwedLine, ...]
    errors: tuple[str, ...]
    field_errors: Mapping[str, tuple[str, ...]]
    described: str


@dataclass(frozen=True, slots=True)
class PlannerPage:
    token: str
    property_name: str
    property_address: str
    group_name: str
    contract_name: str
    arrival_date: date
    departure_date: date
    as_of: date
    terms: tuple[TermTopic, ...]
    owed_total: Money | None
    owed_lines: tuple[OwedLine, ...]
    owed_error: str
    is_final: bool
    assumptions: tuple[str, ...]
    conditions: tuple[str, ...]
    nights: tuple[NightRow, ...]
    chart: Markup | None
    forecast_note: str
    forecast_method: str
    scenarios: tuple[Scenario, ...]
    outlook: Outlook | None
    cancel_today: Money | None
    over_stay: StayBreakEven | None
    review_date: date | None
    reduction_pct: str
    has_fnb: bool
    fnb_spend: str
    what_if: WhatIfResult | None
    expires_on: date
    room_shares: tuple[ShareRow, ...]


def _terms(contract: Contract, locale: str) -> tuple[TermTopic, ...]:
    topics: dict[str, list[TermLine]] = {}
    for sentence in plain_terms(contract, locale):
        topics.setdefault(sentence.topic, []).append(TermLine(sentence.text, sentence.is_default))
    return tuple(TermTopic(topic, tuple(lines)) for topic, lines in topics.items())


def _forecast(
    session: Session, opened: sharing.OpenedLink, day: date, fmt: Formats
) -> tuple[Exposure | None, str]:
    try:
        forecast = forecast_contract(session, opened.principal, opened.contract_id, day)
    except ServiceError as error:
        reason = error.problems[0].message if error.problems else error.detail
        return None, f"No forecast: {fmt.problem(reason)}."
    return forecast.exposure, ""


def _chart(contract: Contract, rows: Sequence[NightRow], locale: str) -> Markup | None:
    nights = [
        ChartNight(
            night=row.night,
            label=format_date(row.night, "d MMM", locale=babel_locale(locale)),
            pickup_room_nights=row.pickup_room_nights or 0,
            block_room_nights=row.block_room_nights,
            minimum_room_nights=row.minimum_room_nights if contract.attrition is not None else None,
            expected_room_nights=row.expected_room_nights,
        )
        for row in rows
    ]
    if not nights:
        return None
    labels = ChartLabels(
        pickup="Picked up",
        block="Block",
        minimum="Minimum",
        expected="Forecast",
        band="Forecast range",
        axis="Room nights",
    )
    # Our own SVG, drawn by matplotlib from numbers and locale-formatted dates (charts.py escapes text).
    return Markup(pickup_chart_svg(nights, title="Pickup against the block", labels=labels))


def _owed(assessment: Assessment, fmt: Formats) -> tuple[OwedLine, ...]:
    return tuple(
        OwedLine(fmt.explained(line.label), line.amount)
        for line in assessment.lines
        if line.amount.amount != 0
    )


def planner_page(
    session: Session,
    token: str,
    opened: sharing.OpenedLink,
    *,
    what_if: WhatIfResult | None = None,
    posted: Mapping[str, str] | None = None,
) -> tuple[PlannerPage, str]:
    stored = load_contract(session, opened.principal, opened.contract_id)
    terms = stored.terms
    locale = terms.property.locale
    fmt = Formats.of(locale)
    day = hotel_today(terms.property.timezone)
    owed_error = ""
    assessment: Assessment | None = None
    try:
        assessment = assess_contract(session, opened.principal, opened.contract_id, day).assessment
    except ServiceError as error:
        owed_error = fmt.problem(error.detail)
    exposure, forecast_note = _forecast(session, opened, day, fmt)
    even = exposure.break_even if exposure is not None else None
    clause = terms.attrition
    # A clause that tests the whole stay has one minimum, shortfall and break-even: the total row.
    per_night = clause is not None and clause.evaluation_mode not in OVER_STAY_MODES
    needed = {b.night: b.still_needed_room_nights for b in even.nights} if even and per_night else {}
    expected = {n.night: n.expected for n in exposure.projection.nights} if exposure else {}
    rooms = assessment.rooms if assessment is not None else None
    over_stay = None
    if clause is not None and not per_night:
        # Revenue and tier tests are not a room-night minimum: no room-night shortfall to show.
        in_rooms = rooms is not None and clause.evaluation_mode not in (
            EvaluationMode.REVENUE,
            EvaluationMode.TIERED,
        )
        over_stay = StayBreakEven(
            even.room_nights if even else None,
            even.on_the_books if even else (rooms.credited_room_nights if rooms else None),
            even.still_needed_room_nights if even else None,
            rooms.shortfall_room_nights if rooms is not None and in_rooms else None,
            rooms.minimum_room_nights if rooms is not None and in_rooms else None,
        )
    posted = posted or {}
    rows: list[NightRow] = []
    results = assessment.rooms.nights if assessment is not None and assessment.rooms is not None else ()
    by_night = {n.night: n for n in results}
    for index, night in enumerate(terms.nights):
        result = by_night.get(night)
        block = sum(cell.rooms for cell in terms.block if cell.night == night)
        name = f"night.{index}"
        rows.append(
            NightRow(
                index=index,
                night=night,
                block_room_nights=result.block_room_nights if result else block,
                minimum_room_nights=result.minimum_room_nights if result and per_night else None,
                pickup_room_nights=result.credited_room_nights if result else None,
                # The engine's own shortfall: per night only where the clause tests nights one by one.
                shortfall_room_nights=result.shortfall_room_nights if result and per_night else None,
                still_needed_room_nights=needed.get(night),
                expected_room_nights=expected.get(night),
                field_name=name,
                field_value=posted[name] if name in posted else _prefill(expected.get(night), result),
            )
        )
    review = next(
        (
            right.deadline(terms.arrival_date)
            for right in sorted(terms.reduction_rights, key=lambda r: r.deadline(terms.arrival_date))
            if right.deadline(terms.arrival_date) >= day
        ),
        None,
    )
    page = PlannerPage(
        token=token,
        property_name=terms.property.name,
        property_address=terms.property.address,
        group_name=terms.group.name,
        contract_name=terms.name,
        arrival_date=terms.arrival_date,
        departure_date=terms.departure_date,
        as_of=day,
        terms=_terms(terms, locale),
        owed_total=assessment.total if assessment else None,
        owed_lines=_owed(assessment, fmt) if assessment else (),
        owed_error=owed_error,
        is_final=assessment.is_final if assessment else False,
        assumptions=tuple(fmt.explained(a.text) for a in assessment.assumptions) if assessment else (),
        conditions=tuple(fmt.explained(c) for c in assessment.conditions) if assessment else (),
        nights=tuple(rows),
        chart=_chart(terms, rows, locale),
        forecast_note=forecast_note,
        forecast_method=method_name(exposure.projection.fit.method) if exposure else "",
        scenarios=tuple(Scenario(s.scenario, s.room_nights, s.damages) for s in exposure.scenarios)
        if exposure
        else (),
        outlook=Outlook(
            exposure.outlook.expected,
            exposure.outlook.likely_worst,
            exposure.outlook.probability_pct,
            exposure.outlook.scenarios,
        )
        if exposure
        else None,
        cancel_today=exposure.cancel_today if exposure else None,
        over_stay=over_stay,
        review_date=review,
        reduction_pct=posted.get("reduction_pct", ""),
        has_fnb=terms.fnb is not None,
        fnb_spend=posted["fnb_spend"]
        if "fnb_spend" in posted
        else (str(exposure.expected_fnb_spend.amount) if exposure and exposure.expected_fnb_spend else ""),
        what_if=what_if,
        expires_on=opened.expires_at.date(),
        room_shares=share_rows(session, stored, day, fmt, anonymous=True),
    )
    return page, locale


def _prefill(expected: Decimal | None, result: Any) -> str:
    """The what-if starts from the forecast's expected final pickup, else from the pickup to date."""
    if expected is not None:
        return str(int(expected.to_integral_value(rounding=ROUND_HALF_UP)))
    return str(result.credited_room_nights) if result is not None else ""


def _field_of(field: str) -> str:
    """The what-if form field a service problem is about ("" when it is about the whole request)."""
    if field.startswith("reduction"):
        return "reduction_pct"
    if field.startswith("fnb_spend"):
        return "fnb_spend"
    return ""


_LONG_DECIMAL = re.compile(r"\d+\.\d{3,}")


def _planner_message(message: str) -> str:
    """A service message with any long decimal cut to one decimal place (``20.66666…`` → ``20.7``)."""
    return _LONG_DECIMAL.sub(
        lambda m: f"{Decimal(m.group()).quantize(Decimal('0.1')).normalize():f}", message
    )


def _gone(request: Request) -> Response:
    context = page_context(title="This link is no longer valid", staff=None)
    return templates.TemplateResponse(request, "share_gone.html", context, status_code=410, headers=_NO_STORE)


def _render_planner(request: Request, page: PlannerPage, locale: str, status: int = 200) -> Response:
    context = page_context(
        title=f"{page.group_name} at {page.property_name}", staff=None, page=page, locale=locale
    )
    fragment = "hx-request" in request.headers and request.method == "POST"
    name = "_share_what_if.html" if fragment else "share_page.html"
    return templates.TemplateResponse(request, name, context, status_code=status, headers=_NO_STORE)


@router.get("/share/{token}", response_class=HTMLResponse)
def planner(token: str, request: Request, session: SessionDep) -> Response:
    try:
        opened = sharing.open_share_link(session, token)
    except sharing.LinkGoneError:
        return _gone(request)
    page, locale = planner_page(session, token, opened)
    return _render_planner(request, page, locale)


async def what_if_form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {key: value[:40] for key, value in list(data.items())[:500] if isinstance(value, str)}


@router.post("/share/{token}/what-if", response_class=HTMLResponse)
@reads_first
def planner_what_if(
    token: str,
    request: Request,
    session: SessionDep,
    posted: Annotated[dict[str, str], Depends(what_if_form)],
) -> Response:
    try:
        opened = sharing.open_share_link(session, token)
    except sharing.LinkGoneError:
        return _gone(request)
    page, locale = planner_page(session, token, opened, posted=posted)
    stored = load_contract(session, opened.principal, opened.contract_id)
    current = {row.night: row.pickup_room_nights or 0 for row in page.nights}
    result = _what_if(session, opened, stored.terms, posted, current)
    session.rollback()  # a what-if writes nothing; make sure of it
    status = 422 if result.errors or result.field_errors else 200
    return _render_planner(request, replace(page, what_if=result), locale, status=status)


def _what_if(
    session: Session,
    opened: sharing.OpenedLink,
    terms: Contract,
    posted: Mapping[str, str],
    current: Mapping[date, int],
) -> WhatIfResult:
    """The damages with the planner's assumption: a final pickup per night (split over the night's room
    types in proportion to the block; a night left blank keeps its pickup to date) and/or a reduction."""
    body: dict[str, Any] = {}
    field_errors: dict[str, tuple[str, ...]] = {}
    entries: list[dict[str, Any]] = []
    given = False
    for index, night in enumerate(terms.nights):
        name = f"night.{index}"
        text = posted.get(name, "").strip()
        types = [(cell.room_type, cell.rooms) for cell in terms.block if cell.night == night]
        if not text:
            shares = allocate(current.get(night, 0), [rooms for _, rooms in types])
        elif not text.isdigit() or int(text) > 100_000:
            field_errors[name] = ("enter a whole number of room nights",)
            continue
        else:
            given = True
            shares = allocate(int(text), [rooms for _, rooms in types])
        entries.extend(
            {"night": night.isoformat(), "room_type": room_type, "room_nights": share}
            for (room_type, _), share in zip(types, shares, strict=True)
            if share
        )
    reduction = posted.get("reduction_pct", "").strip()
    if reduction:
        body["reduction"] = {"pct": reduction, "notice_date": posted.get("review_date") or None}
    fnb = posted.get("fnb_spend", "").strip()
    if fnb and terms.fnb is not None:
        body["fnb_spend"] = fnb
    if given:
        body["pickup"] = entries
    if field_errors:
        return WhatIfResult(None, (), (), field_errors, "")
    if not body:
        return WhatIfResult(
            None, (), ("Enter an expected final pickup for at least one night, or a reduction.",), {}, ""
        )
    try:
        result = what_if(session, opened.principal, opened.contract_id, body)
    except ServiceError as error:
        by_field: dict[str, tuple[str, ...]] = {}
        general: list[str] = []
        for problem in error.problems or ():
            name = _field_of(problem.field)
            if name:
                by_field[name] = (*by_field.get(name, ()), _planner_message(problem.message))
            else:
                general.append(_planner_message(problem.message))
        if not by_field and not general:
            general.append(error.detail)
        return WhatIfResult(None, (), tuple(general), by_field, "")
    fmt = Formats.of(terms.property.locale)
    described = []
    if given:
        described.append("the final pickup you entered")
    if reduction:
        described.append(f"a block reduction of {fmt.pct(Decimal(reduction))}")
    if "fnb_spend" in body:
        described.append(f"an F&B spend of {fmt.money(Money(Decimal(fnb), terms.currency))}")
    return WhatIfResult(
        result.assessment.total, _owed(result.assessment, fmt), (), {}, " and ".join(described)
    )
