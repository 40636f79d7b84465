"""The staff dashboard (``GET /``): contracts by arrival with pickup to date and exposure.

"Current exposure" is what the group would owe if it were assessed today at the hotel (the engine's
total with pickup to date taken as final); "forecast" is the expected damages of the pickup forecast
(``portfolio_exposure``), or a dash with the reason a contract cannot be forecast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.api.deps import SessionDep
from app.engine.money import Money
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, ContractRecord, PropertyRecord
from app.services import forecasts
from app.services.actuals import actuals_as_of
from app.services.assessments import assess_contract, hotel_today
from app.services.auth import Principal
from app.services.contracts import list_contracts, load_contract
from app.services.errors import ServiceError, StoredDataError
from app.services.forecasts import on_the_books
from app.services.properties import get_account, get_property, list_properties
from app.web.deps import StaffDep
from app.web.missing import MissingInput, missing_input
from app.web.templating import page_context, templates
from app.web.views import FieldError, Formats, block_by_night, parse_day, parse_id, pickup_pct

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
#: Sorting by a computed figure assesses every contract in the selection: at most this many.
MAX_SORTED = 500
SORTS = {"arrival": "Arrival", "pickup": "Pickup % to date", "exposure": "Current exposure"}


@dataclass(frozen=True, slots=True)
class DashboardRow:
    contract_id: int
    reference: str
    name: str
    property_name: str
    account_name: str
    status: str
    arrival: str
    departure: str
    block_room_nights: str
    pickup: str
    pickup_detail: str
    current: str
    current_note: str
    expected: str
    expected_note: str
    arrival_date: date
    pickup_value: Decimal | None
    current_value: Decimal | None
    # Where an assessment that cannot be computed gets what it is missing.
    current_link: str = ""
    current_link_text: str = ""


@dataclass(frozen=True, slots=True)
class SortLink:
    key: str
    label: str
    href: str
    #: ``ascending``/``descending`` for the column the list is sorted by (for ``aria-sort``), else "".
    state: str
    arrow: str


@dataclass(frozen=True, slots=True)
class PropertyChoice:
    id: int
    name: str
    selected: bool


def _forecasts(
    session: Session, principal: Principal, property_id: int | None, start: date | None, end: date | None
) -> tuple[dict[int, tuple[Money, Decimal]], dict[int, str]]:
    """Expected damages and the probability of damages by contract id, and why others were not forecast."""
    portfolio = forecasts.portfolio_exposure(
        session, principal, property_id=property_id, arrival_from=start, arrival_to=end, limit=MAX_SORTED
    )
    expected = {
        row.contract_id: (row.exposure.outlook.expected, row.exposure.outlook.probability_pct)
        for row in portfolio.items
    }
    reasons = {item.contract_id: item.reason for item in portfolio.not_forecast}
    return expected, reasons


def _row(
    session: Session,
    principal: Principal,
    record: ContractRecord,
    properties: dict[int, PropertyRecord],
    expected: dict[int, tuple[Money, Decimal]],
    reasons: dict[int, str],
) -> DashboardRow:
    assert record.id is not None
    prop = properties.get(record.property_id) or get_property(session, principal, record.property_id)
    properties[record.property_id] = prop
    fmt = Formats.of(prop.locale)
    account: AccountRecord | None = (
        None if record.account_id is None else get_account(session, principal, record.account_id)
    )
    today = hotel_today(prop.timezone)
    try:
        stored = load_contract(session, principal, record.id)
        actuals = actuals_as_of(session, stored, today)
    except StoredDataError as error:
        # This contract's stored rows cannot be read: its row says so; the rest of the list stands.
        return _unreadable_row(record, prop, account, fmt, error)
    terms = stored.terms
    booked = sum(on_the_books(terms, actuals.pickup).values())
    held = sum(block_by_night(terms, today).values())
    share = pickup_pct(booked, held)
    current_value: Decimal | None = None
    missing = MissingInput("")
    try:
        result = assess_contract(session, principal, record.id, today).assessment
        current, current_note = fmt.money(result.total), "" if result.is_final else "provisional"
        current_value = result.total.amount
    except ServiceError as error:
        missing = missing_input(error, record.id, terms.cutoff_date)
        current, current_note = "—", missing.text
    if record.id in expected:
        damages, chance = expected[record.id]
        expected_text = fmt.money(damages)
        expected_note = f"{fmt.pct(chance)} chance of damages"
    else:
        expected_text = "—"
        expected_note = fmt.problem(reasons.get(record.id) or _not_open_reason(record, today))
    return DashboardRow(
        contract_id=record.id,
        reference=record.reference,
        name=record.name or terms.group.name,
        property_name=prop.name,
        account_name=account.name if account is not None else terms.group.account,
        status=record.status,
        arrival=fmt.day(record.arrival_date),
        departure=fmt.day(record.departure_date),
        block_room_nights=fmt.number(sum(cell.rooms for cell in terms.block)),
        pickup=fmt.pct(share),
        pickup_detail=f"{fmt.number(booked)} of {fmt.number(held)}",
        current=current,
        current_note=current_note,
        expected=expected_text,
        expected_note=expected_note,
        arrival_date=record.arrival_date,
        pickup_value=share,
        current_value=current_value,
        current_link=missing.href,
        current_link_text=missing.link_text,
    )


def _unreadable_row(
    record: ContractRecord,
    prop: PropertyRecord,
    account: AccountRecord | None,
    fmt: Formats,
    error: StoredDataError,
) -> DashboardRow:
    assert record.id is not None
    first = error.problems[0] if error.problems else None
    problem = error.detail if first is None else f"{error.detail} ({first.field}: {first.message})"
    return DashboardRow(
        contract_id=record.id,
        reference=record.reference,
        name=record.name or record.reference,
        property_name=prop.name,
        account_name=account.name if account is not None else "",
        status=record.status,
        arrival=fmt.day(record.arrival_date),
        departure=fmt.day(record.departure_date),
        block_room_nights="—",
        pickup="—",
        pickup_detail="",
        current="—",
        current_note=problem,
        expected="—",
        expected_note="",
        arrival_date=record.arrival_date,
        pickup_value=None,
        current_value=None,
    )


def _not_open_reason(record: ContractRecord, today: date) -> str:
    if record.status in ("cancelled", "completed"):
        return f"the contract is {record.status}"
    if record.departure_date <= today:
        return "the group has departed: see the assessment"
    return "not forecast"


def _url(**params: str | int | None) -> str:
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return "/?" + urlencode(kept) if kept else "/"


@router.get("/", response_model=None)
def dashboard(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    sort: Annotated[str, Query(max_length=20)] = "arrival",
    direction: Annotated[str, Query(alias="dir", max_length=4)] = "asc",
    property_id: Annotated[str | None, Query(max_length=12)] = None,
    arrival_from: Annotated[str | None, Query(max_length=20)] = None,
    arrival_to: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    principal = staff.principal
    errors: list[FieldError] = []
    chosen_property = parse_id(property_id, "property_id", errors)
    start = parse_day(arrival_from, "arrival_from", errors)
    end = parse_day(arrival_to, "arrival_to", errors)
    if start is not None and end is not None and end < start:
        errors.append(FieldError("arrival_to", "the end of the range is before its start"))
    visible, _ = list_properties(session, principal, repo.Page(limit=500, offset=0))
    if chosen_property is not None and chosen_property not in {prop.id for prop in visible}:
        errors.append(FieldError("property_id", "choose one of your hotels"))
    sort = sort if sort in SORTS else "arrival"
    descending = direction == "desc"
    filters = {
        "property_id": chosen_property,
        "arrival_from": start.isoformat() if start else None,
        "arrival_to": end.isoformat() if end else None,
    }
    rows: list[DashboardRow] = []
    total = 0
    if not errors:
        where = repo.ContractFilter(property_id=chosen_property, arrival_from=start, arrival_to=end)
        properties = {prop.id: prop for prop in visible if prop.id is not None}
        expected, reasons = _forecasts(session, principal, chosen_property, start, end)
        if sort == "arrival" and not descending:
            records, total = list_contracts(
                session, principal, where, repo.Page(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            )
            rows = [_row(session, principal, record, properties, expected, reasons) for record in records]
        else:
            records, total = list_contracts(session, principal, where, repo.Page(limit=MAX_SORTED, offset=0))
            every = [_row(session, principal, record, properties, expected, reasons) for record in records]
            every.sort(key=lambda row: _sort_key(row, sort), reverse=descending)
            if sort != "arrival":
                # Contracts without the figure go last whichever way the list is sorted.
                every.sort(key=lambda row: _value(row, sort) is None)
            rows = every[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    pages = max(1, math.ceil(total / PAGE_SIZE))
    links = [
        SortLink(
            key,
            label,
            _url(
                sort=key,
                dir="asc" if sort == key and descending else ("desc" if sort == key else _first(key)),
                **filters,
            ),
            ("descending" if descending else "ascending") if sort == key else "",
            ("▼" if descending else "▲") if sort == key else "",
        )
        for key, label in SORTS.items()
    ]
    context = page_context(
        title="Contracts",
        staff=staff,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        previous_url=_url(sort=sort, dir=direction, page=page - 1, **filters) if page > 1 else "",
        next_url=_url(sort=sort, dir=direction, page=page + 1, **filters) if page < pages else "",
        sort_links={link.key: link for link in links},
        sort=sort,
        direction="desc" if descending else "asc",
        properties=[
            PropertyChoice(prop.id, prop.name, prop.id == chosen_property) for prop in visible if prop.id
        ],
        arrival_from=arrival_from or "",
        arrival_to=arrival_to or "",
        errors={error.field: error.message for error in errors},
    )
    return templates.TemplateResponse(request, "dashboard.html", context, status_code=422 if errors else 200)


def _first(key: str) -> str:
    """The direction a column sorts in when first chosen: the largest exposure first, else ascending."""
    return "desc" if key == "exposure" else "asc"


def _value(row: DashboardRow, sort: str) -> Decimal | None:
    return row.pickup_value if sort == "pickup" else row.current_value


def _sort_key(row: DashboardRow, sort: str) -> tuple[Decimal, date, int]:
    if sort == "arrival":
        return (Decimal(0), row.arrival_date, row.contract_id)
    value = _value(row, sort)
    return (value if value is not None else Decimal(0), row.arrival_date, row.contract_id)
