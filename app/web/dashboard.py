"""The staff dashboard (``GET /``): contracts by arrival with pickup to date and exposure.

"Current exposure" is what the group would owe if it were assessed today at the hotel (the engine's
total with pickup to date taken as final); "forecast" is the expected damages of the pickup forecast
(``portfolio_exposure``), or a dash with the reason a contract cannot be forecast.

Every figure comes from the contract's exposure snapshot, and the list is filtered, sorted and paged in
SQL, so a page costs the same whatever the size of the portfolio; ``app.services.snapshots`` says when
snapshots are computed, and a contract without one yet shows "being updated".
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

from app.api.deps import SessionDep
from app.persistence import repositories as repo
from app.persistence import snapshot_repository as snapshot_repo
from app.persistence.db import begin_write, end_reads
from app.persistence.records import ContractRecord, ExposureSnapshotRecord, PropertyRecord
from app.services import snapshots
from app.services.assessments import hotel_today
from app.services.errors import Problem, ServiceError
from app.services.properties import get_property, list_properties
from app.web.deps import StaffDep
from app.web.missing import MissingInput, missing_input
from app.web.templating import page_context, templates
from app.web.views import FieldError, Formats, parse_day, parse_id

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
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


def _row(
    record: ContractRecord,
    snapshot: ExposureSnapshotRecord | None,
    properties: dict[int, PropertyRecord],
    todays: dict[str, date],
) -> DashboardRow:
    """A contract's row from its snapshot (``app.services.snapshots``)."""
    assert record.id is not None
    prop = properties[record.property_id]
    fmt = Formats.of(prop.locale)
    if prop.timezone not in todays:
        todays[prop.timezone] = hotel_today(prop.timezone)
    today = todays[prop.timezone]
    if snapshot is None:
        return _placeholder_row(record, prop, fmt, "", snapshots.BEING_UPDATED)
    summary = snapshot.summary
    if "unreadable" in summary:
        # This contract's stored rows cannot be read: its row says so; the rest of the list stands.
        return _placeholder_row(record, prop, fmt, summary["account_name"], summary["unreadable"])
    booked, held = summary["booked_room_nights"], summary["held_room_nights"]
    share = None if summary["pickup_pct"] is None else Decimal(summary["pickup_pct"])
    current_value: Decimal | None = None
    missing = MissingInput("")
    if "current" in summary:
        total = snapshots.money_of(summary["current"])
        current, current_note = fmt.money(total), "" if summary["current"]["is_final"] else "provisional"
        current_value = total.amount
    else:
        problem = summary["current_problem"]
        cutoff = summary["cutoff_date"]
        missing = missing_input(
            ServiceError(problem["detail"], [Problem(problem["field"], problem["detail"])]),
            record.id,
            None if cutoff is None else date.fromisoformat(cutoff),
        )
        current, current_note = "—", missing.text
    if "forecast" in summary:
        forecast = snapshots.ForecastSummary.of(summary["forecast"])
        expected_text = fmt.money(forecast.expected_damages)
        expected_note = f"{fmt.pct(forecast.outlook_probability_pct)} chance of damages"
    else:
        expected_text = "—"
        expected_note = fmt.problem(summary.get("not_forecast") or _not_open_reason(record, today))
    return DashboardRow(
        contract_id=record.id,
        reference=record.reference,
        name=summary["name"],
        property_name=prop.name,
        account_name=summary["account_name"],
        status=record.status,
        arrival=fmt.day(record.arrival_date),
        departure=fmt.day(record.departure_date),
        block_room_nights=fmt.number(summary["block_room_nights"]),
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


def _placeholder_row(
    record: ContractRecord, prop: PropertyRecord, fmt: Formats, account_name: str, problem: str
) -> DashboardRow:
    """The row of a contract whose figures cannot be shown: unreadable rows, or no snapshot yet."""
    assert record.id is not None
    return DashboardRow(
        contract_id=record.id,
        reference=record.reference,
        name=record.name or record.reference,
        property_name=prop.name,
        account_name=account_name,
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
        where = snapshot_repo.Selection(
            visible=principal.property_ids, property_id=chosen_property, arrival_from=start, arrival_to=end
        )
        at = repo.Page(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        found, total, stale = snapshots.dashboard_page(session, where, sort, descending, at)
        if stale:
            # Refreshed in a write transaction of their own, then read again (app.services.snapshots).
            end_reads(session)
            begin_write(session)
            snapshots.refresh_contracts(session, stale)
            session.commit()
            found, total, _ = snapshots.dashboard_page(session, where, sort, descending, at)
        properties = {prop.id: prop for prop in visible if prop.id is not None}
        for record, _ in found:
            if record.property_id not in properties:  # beyond the first 500 hotels of the filter list
                properties[record.property_id] = get_property(session, principal, record.property_id)
        todays: dict[str, date] = {}
        rows = [_row(record, snapshot, properties, todays) for record, snapshot in found]
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
