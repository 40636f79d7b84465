"""Exposure snapshots: each contract's figures for the portfolio pages, computed once and read many times.

The dashboard and ``GET /exposure`` used to assess and forecast every contract on each request, so a
page cost grew with the portfolio. Now each contract has one row in ``exposure_snapshots`` holding what
those pages show of it, as of today at its hotel: pickup to date, the assessment's total (or why it
cannot be computed), and its forecast (or why it is not forecast). The pages filter, sort and page
those rows in SQL.

When a snapshot is computed (each choice in one place):

* **after every write** of a contract, its actuals or notices (``app.services.changes.contract_changed``
  calls :func:`refresh_contract_snapshot`);
* **every night** by the background job (``app.jobs``), which refreshes every contract in batches: a
  snapshot is "as of today", and tomorrow its figures are a day old;
* **on read**: a page whose own rows (for ``GET /exposure``: its rows and its ``not_forecast`` list)
  have a snapshot missing, of an older contract version or status, or from an earlier day at the
  hotel refreshes those, at most :data:`REFRESH_ON_READ`, in a transaction of its own, and is read
  again. A contract still without a snapshot is shown as "being updated" (the dashboard's figures,
  ``not_forecast`` in ``GET /exposure``) until the job or a later read reaches it. Only the page's
  rows are checked: a check of the whole selection would cost what the snapshots save.

``GET /exposure`` filters and orders on the snapshot's own status and arrival (as of its refresh, which
every write makes), so that its index serves the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.engine import Assessment
from app.engine.money import Money, minor_units
from app.engine.projection import History
from app.persistence import history_repository as history_repo
from app.persistence import repositories as repo
from app.persistence import snapshot_repository as snapshot_repo
from app.persistence.history_repository import PortfolioContract
from app.persistence.records import ContractRecord, ExposureSnapshotRecord, utc_now
from app.persistence.repositories import Page
from app.services import forecasts
from app.services.actuals import actuals_as_of
from app.services.assessments import _assess, hotel_today
from app.services.auth import Principal
from app.services.changes import money_json
from app.services.contracts import StoredContract, read_terms
from app.services.errors import ServiceError, StoredDataError
from app.services.properties import get_property

#: Contracts a page refreshes before it reads, at most: a page's cost stays bounded.
REFRESH_ON_READ = 20
#: Contracts the refresh job computes per transaction.
BATCH_SIZE = 200
#: ``GET /exposure`` lists at most this many contracts it could not forecast.
MAX_NOT_FORECAST = 200
BEING_UPDATED = "being updated: its figures are computed in the background, shortly"

_SYSTEM = Principal("snapshots", None, can_write=False, is_admin=True)
_TENTH = Decimal("0.1")


# --- computing ---------------------------------------------------------------------------------------


def money_of(value: dict[str, str]) -> Money:
    return Money(Decimal(value["amount"]), value["currency"])


#: The largest sort key a BIGINT column holds (SQLite's INTEGER and PostgreSQL's bigint alike).
_LARGEST_SORT_KEY = 2**63 - 1


def _minor(value: Money) -> int:
    """The amount in minor units, as a sort key: a total beyond what BIGINT holds (valid contracts can
    reach it, with the largest rates over the longest stays) sorts as the largest; the summary keeps
    the exact amount."""
    minor = int(value.amount.scaleb(minor_units(value.currency)).to_integral_value())
    return max(-_LARGEST_SORT_KEY, min(minor, _LARGEST_SORT_KEY))


def _forecast_summary(row: forecasts.PortfolioRow) -> dict[str, Any]:
    exposure = row.exposure
    low, expected, high = exposure.scenarios
    projection = exposure.projection
    return {
        "segment": row.segment.value,
        "as_of": row.as_of.isoformat(),
        "days_before_arrival": row.days_before_arrival,
        "block_room_nights": row.block_room_nights,
        "on_the_books_room_nights": row.on_the_books_room_nights,
        "projected": {
            "low": str(projection.low.quantize(_TENTH)),
            "expected": str(projection.expected.quantize(_TENTH)),
            "high": str(projection.high.quantize(_TENTH)),
        },
        "damages": {
            "low": money_json(low.damages),
            "expected": money_json(expected.damages),
            "high": money_json(high.damages),
        },
        "expected_damages": money_json(exposure.outlook.expected),
        "likely_worst_damages": money_json(exposure.outlook.likely_worst),
        "probability_of_damages_pct": str(exposure.probability_of_damages_pct.quantize(_TENTH)),
        "outlook_probability_pct": str(exposure.outlook.probability_pct),
        "method": projection.fit.method.value,
    }


def _pickup_pct(booked: int, held: int) -> Decimal | None:
    # As the pages show it (app.web.views.pickup_pct): to a tenth of a percent.
    return None if held <= 0 else (Decimal(booked) * 100 / Decimal(held)).quantize(_TENTH)


def _first_problem(error: StoredDataError) -> str:
    first = error.problems[0] if error.problems else None
    return error.detail if first is None else f"{error.detail} ({first.field}: {first.message})"


def compute_snapshot(
    session: Session,
    candidate: PortfolioContract,
    today: date | None = None,
    history: History | None = None,
) -> ExposureSnapshotRecord:
    """The contract's snapshot as of ``today`` (default: today at its hotel); nothing is stored."""
    record = candidate.record
    assert record.id is not None
    day = today or hotel_today(candidate.timezone)
    started = utc_now()
    is_open = record.status in {status.value for status in forecasts.OPEN_STATUSES}
    in_portfolio = is_open and record.departure_date > day
    summary: dict[str, Any] = {"name": record.name or record.reference, "account_name": ""}
    if candidate.account is not None:
        summary["account_name"] = candidate.account.name
    snapshot = ExposureSnapshotRecord(
        contract_id=record.id,
        property_id=record.property_id,
        contract_version=record.current_version,
        as_of=day,
        status=record.status,
        currency=record.currency,
        summary=summary,
        computed_at=started,
        exposure_state="closed",
        arrival_date=record.arrival_date,
    )
    try:
        terms = read_terms(record.id, candidate.version.version, candidate.version.terms)
    except StoredDataError as error:
        # This contract's stored rows cannot be read: its row says so; the rest of the portfolio stands.
        summary["unreadable"] = _first_problem(error)
        if in_portfolio:
            snapshot.exposure_state = "refused"
            summary["not_forecast"] = summary["unreadable"]
        return snapshot
    stored = StoredContract(
        record, candidate.version, terms, repo.room_type_codes(session, record.property_id)
    )
    summary["name"] = record.name or terms.group.name
    summary["account_name"] = candidate.account.name if candidate.account else terms.group.account
    try:
        actuals = actuals_as_of(session, stored, day)
    except StoredDataError as error:
        summary["unreadable"] = _first_problem(error)
        if in_portfolio:
            snapshot.exposure_state = "refused"
            summary["not_forecast"] = summary["unreadable"]
        return snapshot
    assessment: Assessment | None = None
    try:
        assessment = _assess(terms, actuals, day)
    except ServiceError as error:
        field = error.problems[0].field if error.problems else ""
        summary["current_problem"] = {"detail": error.detail, "field": field}
    booked = sum(forecasts.on_the_books(terms, actuals.pickup).values())
    held = sum(terms.rooms_after_reductions(day).values())
    share = _pickup_pct(booked, held)
    summary.update(
        block_room_nights=sum(cell.rooms for cell in terms.block),
        booked_room_nights=booked,
        held_room_nights=held,
        pickup_pct=None if share is None else str(share),
        cutoff_date=None if terms.cutoff_date is None else terms.cutoff_date.isoformat(),
    )
    snapshot.pickup_permille = None if share is None else int(share * 10)
    if assessment is not None:
        summary["current"] = {**money_json(assessment.total), "is_final": assessment.is_final}
        snapshot.current_minor = _minor(assessment.total)
    if in_portfolio:
        pickup = history_repo.pickup_up_to(session, [record.id], day)
        notices = [
            (notice.as_of, notice.notice_date)
            for notice in history_repo.cancellation_notices_up_to(session, [record.id], day)
        ]
        outcome = forecasts.forecast_in_portfolio(
            candidate,
            day,
            pickup,
            notices,
            history or forecasts.property_history(session, record.property_id),
        )
        if isinstance(outcome, forecasts.NotForecast):
            snapshot.exposure_state = "refused"
            summary["not_forecast"] = outcome.reason
        else:
            snapshot.exposure_state = "forecast"
            summary["forecast"] = _forecast_summary(outcome)
            snapshot.expected_minor = _minor(outcome.exposure.outlook.expected)
    return snapshot


def refresh_contract_snapshot(
    session: Session, contract_id: int, today: date | None = None
) -> ExposureSnapshotRecord | None:
    """Compute and store the contract's snapshot as of ``today`` (default: today at its hotel), and
    return it; None when there is no such contract. The caller commits."""
    candidate = snapshot_repo.portfolio_contract(session, contract_id)
    if candidate is None:
        return None
    snapshot = compute_snapshot(session, candidate, today)
    snapshot_repo.store(session, snapshot)
    return snapshot


def refresh_contracts(session: Session, contract_ids: Sequence[int], now: datetime | None = None) -> int:
    """Refresh the snapshots of ``contract_ids`` as of today at each hotel (as of ``now``); the caller
    commits. The finished blocks of each property are read once."""
    histories: dict[int, History] = {}
    count = 0
    for candidate in snapshot_repo.contracts_with_versions(session, contract_ids):
        property_id = candidate.record.property_id
        if property_id not in histories:
            histories[property_id] = forecasts.property_history(session, property_id)
        day = hotel_today(candidate.timezone, now)
        snapshot_repo.store(session, compute_snapshot(session, candidate, day, histories[property_id]))
        count += 1
    return count


def refresh_snapshots(engine: sa.Engine, property_id: int | None = None, now: datetime | None = None) -> int:
    """Refresh every contract's snapshot (of one property if given), :data:`BATCH_SIZE` contracts per
    session and transaction; returns how many were refreshed. The nightly job runs it."""
    after, count = 0, 0
    while True:
        with Session(engine, expire_on_commit=False) as session:
            ids = snapshot_repo.contract_ids_after(session, after, BATCH_SIZE, property_id)
            if not ids:
                return count
            count += refresh_contracts(session, ids, now)
            session.commit()
        after = ids[-1]


def refresh_stale_snapshots(engine: sa.Engine, now: datetime | None = None) -> int:
    """Refresh, :data:`BATCH_SIZE` per transaction, every snapshot that is missing or out of date as of
    ``now`` (of an older version or status, or of an earlier day at its hotel); returns how many. Run
    hourly, it brings each hotel's snapshots to its new day within the hour after its midnight. The
    contracts are walked by id, a thousand at a time, so each check reads by primary key."""
    count, after = 0, 0
    while True:
        with Session(engine, expire_on_commit=False) as session:
            ids = snapshot_repo.contract_ids_after(session, after, 1000)
            if not ids:
                return count
            todays = {zone: hotel_today(zone, now) for zone in snapshot_repo.timezones(session)}
            stale = snapshot_repo.stale_among(session, ids, todays)
        for batch in range(0, len(stale), BATCH_SIZE):
            with Session(engine, expire_on_commit=False) as session:
                count += refresh_contracts(session, stale[batch : batch + BATCH_SIZE], now)
                session.commit()
        after = ids[-1]


# --- reading -----------------------------------------------------------------------------------------


def stale_contracts(
    session: Session, rows: Sequence[tuple[ContractRecord, ExposureSnapshotRecord | None]]
) -> list[int]:
    """Of a page's rows, up to :data:`REFRESH_ON_READ` whose snapshot is missing, of an older contract
    version or status, or from an earlier day at the hotel: what the page refreshes before it is read
    again (module docstring, "on read")."""
    zones = snapshot_repo.timezones_of(session, {record.property_id for record, _ in rows})
    todays = {zone: hotel_today(zone) for zone in set(zones.values())}
    stale = [
        record.id
        for record, snapshot in rows
        if record.id is not None
        and (
            snapshot is None
            or snapshot.contract_version < record.current_version
            or snapshot.status != record.status
            or snapshot.as_of < todays[zones[record.property_id]]
        )
    ]
    return stale[:REFRESH_ON_READ]


@dataclass(frozen=True, slots=True)
class ForecastSummary:
    """A contract's forecast as its snapshot holds it (``GET /exposure``'s row)."""

    segment: str
    as_of: date
    days_before_arrival: int
    block_room_nights: int
    on_the_books_room_nights: int
    projected_low: Decimal
    projected_expected: Decimal
    projected_high: Decimal
    damages_low: Money
    damages_expected: Money
    damages_high: Money
    expected_damages: Money
    likely_worst_damages: Money
    probability_of_damages_pct: Decimal
    #: The outlook's probability (the dashboard's "chance of damages").
    outlook_probability_pct: Decimal
    method: str

    @classmethod
    def of(cls, summary: dict[str, Any]) -> ForecastSummary:
        damages = summary["damages"]
        return cls(
            segment=summary["segment"],
            as_of=date.fromisoformat(summary["as_of"]),
            days_before_arrival=summary["days_before_arrival"],
            block_room_nights=summary["block_room_nights"],
            on_the_books_room_nights=summary["on_the_books_room_nights"],
            projected_low=Decimal(summary["projected"]["low"]),
            projected_expected=Decimal(summary["projected"]["expected"]),
            projected_high=Decimal(summary["projected"]["high"]),
            damages_low=money_of(damages["low"]),
            damages_expected=money_of(damages["expected"]),
            damages_high=money_of(damages["high"]),
            expected_damages=money_of(summary["expected_damages"]),
            likely_worst_damages=money_of(summary["likely_worst_damages"]),
            probability_of_damages_pct=Decimal(summary["probability_of_damages_pct"]),
            outlook_probability_pct=Decimal(summary["outlook_probability_pct"]),
            method=summary["method"],
        )


@dataclass(frozen=True, slots=True)
class ExposureItem:
    contract_id: int
    property_id: int
    reference: str
    name: str
    status: str
    arrival_date: date
    departure_date: date
    forecast: ForecastSummary


@dataclass(frozen=True, slots=True)
class ExposureList:
    items: tuple[ExposureItem, ...]
    total: int
    limit: int
    offset: int
    not_forecast: tuple[forecasts.NotForecast, ...]
    #: Contracts of the page (and of not_forecast) to refresh before reading it again.
    stale: tuple[int, ...] = ()


def exposure_selection(
    session: Session,
    principal: Principal,
    *,
    property_id: int | None = None,
    arrival_from: date | None = None,
    arrival_to: date | None = None,
) -> snapshot_repo.Selection:
    """The open contracts of ``GET /exposure``'s selection that may not have departed yet."""
    if property_id is not None:
        get_property(session, principal, property_id)
    return snapshot_repo.Selection(
        visible=principal.property_ids,
        property_id=property_id,
        arrival_from=arrival_from,
        arrival_to=arrival_to,
        statuses=tuple(status.value for status in forecasts.OPEN_STATUSES),
        # Every hotel's today is on or after it; the snapshot's own state excludes the rest.
        departing_after=datetime.now(UTC).date() - timedelta(days=1),
    )


def read_exposure(session: Session, where: snapshot_repo.Selection, page: Page) -> ExposureList:
    """``GET /exposure`` from the snapshots: forecast contracts by expected damages (largest first; the
    amounts compared in minor units), then arrival; and those of the selection not forecast, or not
    yet snapshotted, with the reason (at most :data:`MAX_NOT_FORECAST`)."""
    rows, total = snapshot_repo.exposure_page(session, where, page)
    items = tuple(
        ExposureItem(
            contract_id=snapshot.contract_id,
            property_id=record.property_id,
            reference=record.reference,
            name=record.name,
            status=record.status,
            arrival_date=record.arrival_date,
            departure_date=record.departure_date,
            forecast=ForecastSummary.of(snapshot.summary["forecast"]),
        )
        for record, snapshot in rows
    )
    skipped = []
    refused = snapshot_repo.not_forecast(session, where, MAX_NOT_FORECAST)
    for record, found in refused:
        assert record.id is not None
        reason = BEING_UPDATED if found is None else str(found.summary.get("not_forecast") or "")
        skipped.append(forecasts.NotForecast(record.id, record.reference, reason))
    stale = stale_contracts(session, [*rows, *refused])
    return ExposureList(items, total, page.limit, page.offset, tuple(skipped), tuple(stale))


def dashboard_page(
    session: Session, where: snapshot_repo.Selection, sort: str, descending: bool, page: Page
) -> tuple[list[tuple[ContractRecord, ExposureSnapshotRecord | None]], int, list[int]]:
    """A page of the dashboard's contracts with their snapshots, sorted by arrival, pickup (``pickup``)
    or current exposure (``exposure``) in SQL (contracts without the figure last), its total, and the
    contracts of the page to refresh before reading it again."""
    rows, total = snapshot_repo.dashboard_page(session, where, sort, descending, page)
    return rows, total, stale_contracts(session, rows)
