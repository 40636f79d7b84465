"""Forecasts of stored contracts: exposure, what-if, the portfolio, and the history of
finished blocks that feeds them. The engine (``app.engine.forecast``) does the arithmetic; this module
reads its inputs from the database. Choices made here, each kept in one place:

* **On the books** is the pickup the contract credits (its ``attrition.credited_sources``: all but
  comps by default) on the nights of the block, as reported on or before ``as_of`` (the latest report
  of each night, room type and source). Shoulder nights are outside the block, which is what is
  projected. Before arrival, no-shows, walks and paid early departures are not yet known; audit
  matches outside the block count as soon as they are reported, as they will at settlement.
* **Comparable blocks** are the finished blocks of the same property and segment. The segment is the
  account's; the contract's own ``group.segment`` where it has no account or the account's segment is
  ``other`` (an account made without one). The account's own blocks are not weighted apart.
* **Priors** are data: ``app/forecast_priors.yaml``, or the file named by ``ATTRITION_FORECAST_PRIORS``.
* **A finished block** (a contract set to ``completed``) is kept once: its final pickup is the latest
  credited figure of every cell (everything reported by then), its curve the credited pickup on the
  books at each date a report was made before arrival and at 60, 30, 14 and 0 days where reports
  reach back that far.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Protocol, Self

from babel.dates import format_date
from babel.numbers import format_percent
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.contract_files import ContractFileError, _parse_json, _validate
from app.engine import Actuals, Assessment, EngineError, assess
from app.engine.actuals import PickupEntry
from app.engine.contract import (
    Contract,
    CreditedSources,
    EngineModel,
    PickupSource,
    ReductionBasis,
    RoomCount,
    Segment,
)
from app.engine.forecast import Exposure, NightCount, PickupSnapshot, allocate, forecast_exposure
from app.engine.limits import (
    MAX_BLOCK_CELLS,
    MAX_HISTORY_BLOCKS,
    MAX_PCT_PLACES,
    MAX_PICKUP_ROWS,
    AtMost,
    IsoDate,
)
from app.engine.money import Money, NonNegativeMoney
from app.engine.projection import ForecastPriors, HistoricalBlock, History
from app.forecasting import DEFAULT_PRIORS_PATH, load_priors
from app.persistence import history_repository as history_repo
from app.persistence import repositories as repo
from app.persistence.records import (
    AccountRecord,
    BlockHistoryRecord,
    ContractRecord,
    PickupSnapshotRecord,
    utc_now,
)
from app.services.actuals import actuals_as_of, parse_pickup_report
from app.services.assessments import ContractAssessment, hotel_today
from app.services.auth import Principal
from app.services.contracts import ContractStatus, StoredContract, load_contract, read_terms
from app.services.errors import (
    ConflictError,
    InvalidInputError,
    MalformedInputError,
    Problem,
    StoredDataError,
)
from app.services.inputs import MAX_BODY_BYTES, parse_input, validation_problems
from app.services.properties import get_property

PRIORS_ENV = "ATTRITION_FORECAST_PRIORS"
OPEN_STATUSES = (ContractStatus.TENTATIVE, ContractStatus.DEFINITE)
#: Lead times a finished block's curve always has, where its reports reach back that far.
CURVE_LEAD_TIMES = (60, 30, 14, 0)
#: The engine's longest lead time (ten years).
MAX_LEAD_DAYS = 3650
ZERO = Decimal(0)


# --- inputs of the engine --------------------------------------------------------------------------


def forecast_priors() -> ForecastPriors:
    """The segment priors: ``$ATTRITION_FORECAST_PRIORS`` if set, else the documented defaults.

    Read once per file version (a changed file is read again)."""
    configured = os.environ.get(PRIORS_ENV, "").strip()
    path = Path(configured) if configured else DEFAULT_PRIORS_PATH
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1  # load_priors reports the missing file
    return _priors(path, stamp)


@lru_cache(maxsize=4)
def _priors(path: Path, stamp: int) -> ForecastPriors:
    return load_priors(path)


def comparable_segment(account: AccountRecord | None, terms: Contract) -> Segment:
    """The segment whose history is comparable: the account's, else the contract's group segment."""
    if account is not None and account.segment != Segment.OTHER:
        try:
            return Segment(account.segment)
        except ValueError:
            pass
    return terms.group.segment


def credited_sources(terms: Contract) -> CreditedSources:
    """The pickup sources the contract credits (its attrition clause's, else the default)."""
    return terms.attrition.credited_sources if terms.attrition is not None else CreditedSources()


class PickupCount(Protocol):
    """A pickup figure: a stored snapshot row, or an engine ``PickupEntry``."""

    @property
    def night(self) -> date: ...
    @property
    def source(self) -> str: ...
    @property
    def room_nights(self) -> int: ...


def on_the_books(terms: Contract, rows: Iterable[PickupCount]) -> dict[date, int]:
    """Credited room nights per night of the block in ``rows`` (one row per night, room type, source):
    what the forecast, the dashboard and the contract page all call "on the books"."""
    credited = credited_sources(terms)
    counts = dict.fromkeys(terms.nights, 0)
    for row in rows:
        if row.night in counts and credited.credits(PickupSource(row.source)):
            counts[row.night] += row.room_nights
    return counts


def _latest(rows: Iterable[PickupSnapshotRecord], day: date) -> list[PickupSnapshotRecord]:
    """Of ``rows`` in the order written, the latest reported on or before ``day`` for each cell and source."""
    latest: dict[tuple[date, str, str], PickupSnapshotRecord] = {}
    for row in rows:
        if row.as_of <= day:
            latest[(row.night, row.room_type, row.source)] = row
    return list(latest.values())


def _snapshot(days: int, booked: dict[date, int]) -> PickupSnapshot:
    return PickupSnapshot(
        days_before_arrival=days,
        nights=tuple(
            NightCount(night=night, room_nights=min(count, 100_000)) for night, count in booked.items()
        ),
    )


def _historical(
    rows: Iterable[BlockHistoryRecord], exclude_contract: int | None = None
) -> list[HistoricalBlock]:
    blocks = []
    for row in rows:
        if exclude_contract is not None and row.contract_id == exclude_contract:
            continue
        try:
            segment = Segment(row.segment)
        except ValueError:
            segment = Segment.OTHER
        blocks.append(
            HistoricalBlock.model_validate(
                {
                    "id": row.reference,
                    "segment": segment,
                    "block_room_nights": row.block_room_nights,
                    "final_room_nights": row.final_room_nights,
                    "on_the_books": row.on_the_books,
                },
                strict=False,
            )
        )
    return blocks


def _with_segment(terms: Contract, segment: Segment) -> Contract:
    if terms.group.segment is segment:
        return terms
    return terms.model_copy(update={"group": terms.group.model_copy(update={"segment": segment})})


def _engine(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except EngineError as error:
        raise InvalidInputError(str(error), [Problem(error.field or "", str(error))]) from None


# --- one contract ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractForecast:
    """The forecast exposure of a stored contract as of a date (docs/rules.md §6)."""

    record: ContractRecord
    version: int
    #: The terms of the version forecast, as stored.
    contract: Contract
    segment: Segment
    as_of: date
    days_before_arrival: int
    #: Finished blocks of the property in ``segment`` (the history the method was chosen on).
    comparable_blocks: int
    exposure: Exposure


@dataclass(frozen=True, slots=True)
class _Refusal:
    field: str
    reason: str


def _refusal(record: ContractRecord, terms: Contract, day: date, notice: date | None) -> _Refusal | None:
    """Why the contract cannot be forecast as of ``day``, if it cannot."""
    if record.status not in OPEN_STATUSES:
        return _Refusal(
            "status", f"the contract is {record.status}: only tentative and definite ones are forecast"
        )
    if day > terms.arrival_date:
        return _Refusal(
            "as_of",
            f"{day.isoformat()} is after arrival on {terms.arrival_date.isoformat()}: the group's pickup "
            "is known, so assess the contract instead",
        )
    if (terms.arrival_date - day).days > MAX_LEAD_DAYS:
        return _Refusal("as_of", f"{day.isoformat()} is more than {MAX_LEAD_DAYS} days before arrival")
    if notice is not None and notice <= day:
        return _Refusal(
            "cancellation_notice_date",
            f"the group cancelled on {notice.isoformat()}: the cancellation charges are in the assessment",
        )
    if not any(terms.rooms_after_reductions(day).values()):
        return _Refusal("block", "no room is left in the block after the reductions")
    return None


def forecast_contract(
    session: Session, principal: Principal, contract_id: int, as_of: date | None = None
) -> ContractForecast:
    """The exposure of a stored contract as of ``as_of`` (default: today at the hotel): pickup projected
    from what is on the books and the property's finished blocks of the same segment, each scenario
    priced by the settlement engine. 409 for a contract that cannot be forecast (cancelled, completed,
    already arrived, no rooms left); 422 when it is the given ``as_of`` that is out of range."""
    stored = load_contract(session, principal, contract_id)
    record, terms = stored.record, stored.terms
    assert record.id is not None
    day = as_of or hotel_today(terms.property.timezone)
    notice = repo.notices_as_of(session, record.id, day).get("cancellation")
    refusal = _refusal(record, terms, day, None if notice is None else notice.notice_date)
    if refusal is not None:
        error = InvalidInputError if refusal.field == "as_of" and as_of is not None else ConflictError
        raise error(
            f"contract {contract_id} cannot be forecast: {refusal.reason}",
            [Problem(refusal.field, refusal.reason)],
        )
    account = None if record.account_id is None else repo.get(session, AccountRecord, record.account_id)
    segment = comparable_segment(account, terms)
    (rows,) = repo.pickup_as_of(session, record.id, day)
    days = (terms.arrival_date - day).days
    blocks = _historical(history_repo.history_blocks(session, [record.property_id], segment), record.id)
    history = History(blocks, forecast_priors())
    recorded = actuals_as_of(session, stored, day)
    exposure = _engine(
        lambda: forecast_exposure(
            _with_segment(terms, segment),
            _snapshot(days, on_the_books(terms, rows)),
            history,
            recorded=recorded,
        )
    )
    return ContractForecast(record, stored.version.version, terms, segment, day, days, len(blocks), exposure)


# --- what if ---------------------------------------------------------------------------------------


class AssumedReduction(BaseModel):
    """A block reduction the group would notify on ``notice_date``: given cells, or a percentage of the
    block as it stands then (each cell reduced in proportion, whole rooms, never more than the
    percentage). It must fit the contract's reduction rights, as a recorded reduction must."""

    model_config = ConfigDict(extra="forbid")

    notice_date: IsoDate | None = Field(default=None, description="Default: the what-if's as_of")
    cells: Annotated[tuple[RoomCount, ...], AtMost(MAX_BLOCK_CELLS, "cells")] | None = Field(
        default=None, min_length=1
    )
    pct: (
        Annotated[Decimal, Field(gt=0, le=100, decimal_places=MAX_PCT_PLACES, allow_inf_nan=False)] | None
    ) = None

    @model_validator(mode="after")
    def _cells_or_pct(self) -> Self:
        if (self.cells is None) == (self.pct is None):
            raise ValueError("give exactly one of cells and pct")
        return self


class WhatIfRequest(BaseModel):
    """Assess the stored contract as of ``as_of`` with an assumption, saving nothing: ``pickup`` replaces
    the recorded pickup (and the pickup on the cut-off date) with an assumed final pickup grid (``[]``:
    nothing picked up); ``reduction`` adds a block reduction. Every other actual is the one recorded."""

    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate | None = Field(default=None, description="Default: today at the hotel")
    pickup: tuple[PickupEntry, ...] | None = Field(
        default=None, max_length=MAX_PICKUP_ROWS, description="Entries as in a pickup report (POST …/pickup)"
    )
    reduction: AssumedReduction | None = None
    fnb_spend: NonNegativeMoney | None = Field(
        default=None,
        description="An expected F&B spend (net of tax and service charge) in place of the spend recorded",
    )

    @model_validator(mode="after")
    def _an_assumption(self) -> Self:
        if self.pickup is None and self.reduction is None and self.fnb_spend is None:
            raise ValueError("give pickup, reduction, fnb_spend or any of them together")
        return self


def what_if(session: Session, principal: Principal, contract_id: int, body: Any) -> ContractAssessment:
    """The settlement engine's assessment of the stored contract with ``body``'s assumption applied.

    Nothing is saved, so read access suffices. The answer has the shape of ``GET …/assessment``."""
    stored = load_contract(session, principal, contract_id)
    request = parse_input(WhatIfRequest, body, currency=stored.terms.currency)
    assert stored.record.id is not None
    day = request.as_of or hotel_today(stored.terms.property.timezone)
    terms = stored.terms
    if request.reduction is not None:
        terms = _reduced(terms, request.reduction, day)
    actuals = actuals_as_of(session, stored, day)
    if request.pickup is not None:
        actuals = _assumed_pickup(stored, terms, actuals, request.pickup, day)
    if request.fnb_spend is not None:
        actuals = _assumed_fnb(terms, actuals, request.fnb_spend)
    assessment: Assessment = _engine(assess, terms, actuals, day)
    return ContractAssessment(stored.record.id, stored.version.version, day, assessment)


_ENTRIES = re.compile(r"^entries(?=\[|\.|$)")


def _assumed_pickup(
    stored: StoredContract, terms: Contract, actuals: Actuals, pickup: tuple[PickupEntry, ...], day: date
) -> Actuals:
    entries: list[dict[str, Any]] = []
    if pickup:
        raw = [entry.model_dump(mode="json", exclude_none=True) for entry in pickup]
        try:
            # The pickup report's own checks: nights of the block, each cell and source once, one currency.
            report = parse_pickup_report(stored, {"as_of": day.isoformat(), "entries": raw})
        except InvalidInputError as error:
            raise InvalidInputError(
                error.detail,
                [Problem(_ENTRIES.sub("pickup", p.field), p.message, p.line) for p in error.problems],
            ) from None
        entries = [entry.model_dump() for entry in report.entries]
    cells = set(terms.rooms_after_reductions(None))
    at_cutoff: dict[tuple[date, str], int] = defaultdict(int)
    for entry in entries:
        if (entry["night"], entry["room_type"]) in cells:
            at_cutoff[(entry["night"], entry["room_type"])] += entry["room_nights"]
    data = actuals.model_dump(exclude={"pickup", "cutoff_pickup"})
    # As the forecast prices its scenarios: an assumed final pickup was also on the books at the cut-off.
    data["pickup"] = entries
    data["cutoff_pickup"] = [
        {"night": night, "room_type": room_type, "rooms": rooms}
        for (night, room_type), rooms in sorted(at_cutoff.items())
        if rooms > 0
    ]
    return Actuals.model_validate(data, strict=False)


def _assumed_fnb(terms: Contract, actuals: Actuals, spend: Money) -> Actuals:
    """The recorded spend replaced by one expected amount, in a category the F&B clause counts."""
    if terms.fnb is None:
        raise InvalidInputError(
            "the contract has no F&B minimum",
            [Problem("fnb_spend", "the contract has no F&B minimum, so F&B spend changes nothing")],
        )
    data = actuals.model_dump(exclude={"fnb_spend"})
    data["fnb_spend"] = [{"category": min(terms.fnb.counted_categories), "amount": spend}]
    return Actuals.model_validate(data, strict=False)


def _reduced(terms: Contract, assumed: AssumedReduction, day: date) -> Contract:
    """``terms`` with the assumed reduction added. Reductions recorded with a notice after ``day`` have
    not happened as of ``day``, so they are left out: they do not use up a right as of that date."""
    notice = assumed.notice_date or day
    cells: list[dict[str, Any]]
    if assumed.pct is not None:
        before = terms.model_copy(
            update={"reductions": tuple(r for r in terms.reductions if r.notice_date <= day)}
        )
        current = sorted(
            (key, rooms) for key, rooms in before.rooms_after_reductions(notice).items() if rooms
        )
        size = int((assumed.pct * sum(rooms for _, rooms in current) / 100).to_integral_value(ROUND_FLOOR))
        if size == 0:
            raise InvalidInputError(
                "the reduction is less than one room night",
                [Problem("reduction.pct", f"{assumed.pct} % of the block is less than one room night")],
            )
        shares = allocate(size, [rooms for _, rooms in current])
        cells = [
            {"night": night, "room_type": room_type, "rooms": share}
            for ((night, room_type), _), share in zip(current, shares, strict=True)
            if share
        ]
    else:
        assert assumed.cells is not None
        cells = [cell.model_dump() for cell in assumed.cells]
    data = terms.model_dump(exclude_unset=True)
    known = [r.model_dump() for r in terms.reductions if r.notice_date <= day]
    index = len(known)
    data["reductions"] = [*known, {"notice_date": notice, "cells": cells}]
    try:
        return Contract.model_validate(data, strict=False)
    except ValidationError as error:
        own = re.compile(rf"^reductions\[{index}\]")
        size = sum(int(cell["rooms"]) for cell in cells)
        raise InvalidInputError(
            "the reduction does not fit the contract",
            [
                Problem(
                    own.sub("reduction", p.field),
                    _beyond_rights(terms, day, notice, size)
                    if own.sub("reduction", p.field) == "reduction"
                    else p.message,
                )
                for p in validation_problems(error)
            ],
        ) from None


def _beyond_rights(terms: Contract, day: date, notice: date, size: int) -> str:
    """Why a reduction of ``size`` room nights notified on ``notice`` is refused, in the planner's words:
    each right in force then, its limit, what reductions notified by ``day`` have used of it, what is left."""
    locale = terms.property.locale
    original = sum(cell.rooms for cell in terms.block)
    current = sum(terms.rooms_after_reductions(day).values())
    used = original - current

    def when(value: date) -> str:
        return format_date(value, "medium", locale=locale)

    def share(value: Decimal) -> str:
        return format_percent(value / 100, "#,##0.#%", locale=locale)

    parts = []
    for right in terms.reduction_rights:
        deadline = right.deadline(terms.arrival_date)
        if notice > deadline:
            continue
        basis = original if right.basis is ReductionBasis.ORIGINAL else current
        limit = int(right.max_pct * basis / 100)
        taken = used if right.basis is ReductionBasis.ORIGINAL else 0
        left = max(0, limit - taken)
        parts.append(
            f"{right.name or 'the reduction right'} allows up to {share(right.max_pct)} of the "
            f"{'original' if right.basis is ReductionBasis.ORIGINAL else 'current'} block ({limit} room "
            f"nights) until {when(deadline)}"
            + (f", of which {taken} are already used by reductions notified by {when(day)}" if taken else "")
            + f": at most {left} more room nights ({share(Decimal(left) * 100 / basis if basis else ZERO)} "
            "of that block)"
        )
    if not parts:
        return f"No reduction right is in force on {when(notice)}, so the block cannot be reduced then."
    return (
        f"A reduction of {size} room nights on {when(notice)} is more than the contract allows: "
        + "; ".join(parts)
        + "."
    )


# --- the portfolio ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortfolioRow:
    """One contract's forecast exposure, for a list sorted by expected damages."""

    contract_id: int
    property_id: int
    reference: str
    name: str
    status: str
    segment: Segment
    arrival_date: date
    departure_date: date
    as_of: date
    days_before_arrival: int
    block_room_nights: int
    on_the_books_room_nights: int
    exposure: Exposure

    @property
    def expected_damages(self) -> Decimal:
        return self.exposure.outlook.expected.amount


@dataclass(frozen=True, slots=True)
class NotForecast:
    contract_id: int
    reference: str
    reason: str


@dataclass(frozen=True, slots=True)
class Portfolio:
    items: tuple[PortfolioRow, ...]
    total: int
    limit: int
    offset: int
    #: Open contracts in the selection that could not be forecast (already arrived, cancelled by notice,
    #: no rooms left), with the reason.
    not_forecast: tuple[NotForecast, ...]


def _with_first_problem(error: StoredDataError) -> str:
    first = error.problems[0] if error.problems else None
    return error.detail if first is None else f"{error.detail} ({first.field}: {first.message})"


def portfolio_exposure(
    session: Session,
    principal: Principal,
    *,
    property_id: int | None = None,
    arrival_from: date | None = None,
    arrival_to: date | None = None,
    as_of: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Portfolio:
    """The forecast exposure of every tentative or definite contract the principal may see that has
    not departed, sorted by expected damages (largest first; amounts in different currencies are
    compared as numbers), then arrival. ``as_of`` defaults to today at each contract's hotel.

    Reductions still open are not priced here (the contract's forecast has them); everything else is
    the contract's own forecast."""
    if property_id is not None:
        get_property(session, principal, property_id)
    floor = as_of or utc_now().date() - timedelta(days=1)  # every hotel's today is on or after it
    candidates = history_repo.portfolio_contracts(
        session,
        principal.property_ids,
        history_repo.PortfolioFilter(
            statuses=tuple(status.value for status in OPEN_STATUSES),
            property_id=property_id,
            arrival_from=arrival_from,
            arrival_to=arrival_to,
            departing_after=floor,
        ),
    )
    todays: dict[str, date] = {}
    selected = []
    for candidate in candidates:
        timezone = candidate.timezone
        if as_of is None and timezone not in todays:
            todays[timezone] = hotel_today(timezone)
        day = as_of or todays[timezone]
        if candidate.record.departure_date > day:
            selected.append((candidate, day))
    ids = [candidate.record.id for candidate, _ in selected if candidate.record.id is not None]
    last_day = max((day for _, day in selected), default=floor)
    pickup: dict[int, list[PickupSnapshotRecord]] = defaultdict(list)
    for row in history_repo.pickup_up_to(session, ids, last_day):
        pickup[row.contract_id].append(row)
    notices: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for notice in history_repo.cancellation_notices_up_to(session, ids, last_day):
        notices[notice.contract_id].append((notice.as_of, notice.notice_date))
    priors = forecast_priors()
    histories: dict[int, History] = {}
    history_rows: dict[int, list[BlockHistoryRecord]] = defaultdict(list)
    for finished in history_repo.history_blocks(session, {c.record.property_id for c, _ in selected}):
        history_rows[finished.property_id].append(finished)
    rows: list[PortfolioRow] = []
    skipped: list[NotForecast] = []
    for candidate, day in selected:
        record = candidate.record
        assert record.id is not None
        if record.property_id not in histories:
            histories[record.property_id] = History(_historical(history_rows[record.property_id]), priors)
        outcome = forecast_in_portfolio(
            candidate, day, pickup[record.id], notices[record.id], histories[record.property_id]
        )
        if isinstance(outcome, NotForecast):
            skipped.append(outcome)
        else:
            rows.append(outcome)
    rows.sort(key=lambda row: (-row.expected_damages, row.arrival_date, row.contract_id))
    return Portfolio(tuple(rows[offset : offset + limit]), len(rows), limit, offset, tuple(skipped))


def property_history(session: Session, property_id: int) -> History:
    """The finished blocks of one property and the priors: what its contracts are forecast from."""
    return History(_historical(history_repo.history_blocks(session, [property_id])), forecast_priors())


def forecast_in_portfolio(
    candidate: history_repo.PortfolioContract,
    day: date,
    pickup: Sequence[PickupSnapshotRecord],
    notices: Sequence[tuple[date, date]],
    history: History,
) -> PortfolioRow | NotForecast:
    """One open contract's row of the portfolio as of ``day`` (its pickup and cancellation notices
    reported up to ``day``, as ``(reported, notice date)``), or why it is not forecast."""
    record = candidate.record
    assert record.id is not None
    try:
        terms = read_terms(record.id, candidate.version.version, candidate.version.terms)
    except StoredDataError as error:
        # One unreadable contract is listed with its problem; the rest of the portfolio stands.
        return NotForecast(record.id, record.reference, _with_first_problem(error))
    in_force = [notice for reported, notice in notices if reported <= day]
    refusal = _refusal(record, terms, day, in_force[-1] if in_force else None)
    if refusal is not None:
        return NotForecast(record.id, record.reference, refusal.reason)
    segment = comparable_segment(candidate.account, terms)
    days = (terms.arrival_date - day).days
    booked = on_the_books(terms, _latest(pickup, day))
    # The reduction rights are left out: pricing them re-validates the contract per right, and the
    # list does not show them (the contract's own forecast does).
    contract = _with_segment(terms, segment).model_copy(update={"reduction_rights": ()})
    try:
        exposure = forecast_exposure(contract, _snapshot(days, booked), history, with_break_even=False)
    except EngineError as error:
        return NotForecast(record.id, record.reference, str(error))
    return PortfolioRow(
        contract_id=record.id,
        property_id=record.property_id,
        reference=record.reference,
        name=record.name,
        status=record.status,
        segment=segment,
        arrival_date=terms.arrival_date,
        departure_date=terms.departure_date,
        as_of=day,
        days_before_arrival=days,
        block_room_nights=exposure.projection.block_room_nights,
        on_the_books_room_nights=sum(booked.values()),
        exposure=exposure,
    )


# --- the history of finished blocks ----------------------------------------------------------------


def record_block_history(session: Session, contract_id: int) -> BlockHistoryRecord | None:
    """Keep a completed contract's block for later forecasts, once (a second call returns the first row).

    Nothing is kept for a contract with no pickup reported on or before arrival (no curve to learn
    from) or no room left in its block."""
    existing = history_repo.history_of_contract(session, contract_id)
    if existing is not None:
        return existing
    record = repo.get(session, ContractRecord, contract_id)
    if record is None:
        return None
    version = repo.contract_version(session, contract_id, record.current_version)
    assert version is not None
    terms = read_terms(contract_id, version.version, version.terms)
    rows = repo.pickup_history(session, contract_id)
    curve = _curve(terms, rows)
    block = sum(terms.rooms_after_reductions(terms.departure_date).values())
    if not curve or block < 1:
        return None
    account = None if record.account_id is None else repo.get(session, AccountRecord, record.account_id)
    final = sum(on_the_books(terms, _latest(rows, date.max)).values())
    reference = record.reference
    if history_repo.references_taken(session, record.property_id, [reference]):
        suffix = f"-c{contract_id}"  # an imported block already has the contract's reference
        reference = reference[: 80 - len(suffix)] + suffix
    try:
        with session.begin_nested():
            return repo.add(
                session,
                BlockHistoryRecord(
                    property_id=record.property_id,
                    account_id=record.account_id,
                    contract_id=contract_id,
                    reference=reference,
                    segment=comparable_segment(account, terms),
                    arrival_date=terms.arrival_date,
                    block_room_nights=block,
                    final_room_nights=final,
                    on_the_books=curve,
                ),
            )
    except IntegrityError:
        # Another request completed the same contract first: its row is the one kept.
        return history_repo.history_of_contract(session, contract_id)


def _curve(terms: Contract, rows: Sequence[PickupSnapshotRecord]) -> list[dict[str, int]]:
    """Credited pickup on the books by days before arrival, from the reports made up to arrival."""
    arrival = terms.arrival_date
    before = [row for row in rows if row.as_of <= arrival]
    if not before:
        return []
    reach = (arrival - min(row.as_of for row in before)).days
    leads = {(arrival - row.as_of).days for row in before} | {
        lead for lead in CURVE_LEAD_TIMES if lead <= reach
    }
    points: list[dict[str, int]] = []
    for lead in sorted((lead for lead in leads if lead <= MAX_LEAD_DAYS), reverse=True):
        booked = on_the_books(terms, _latest(before, arrival - timedelta(days=lead)))
        points.append({"days_before_arrival": lead, "room_nights": min(sum(booked.values()), 10_000_000)})
    return points


class HistoryBlockInput(HistoricalBlock):
    """A past block as a history file gives it (``app.forecasting.load_history``), with, optionally,
    its arrival date (a block without one is kept with the date it was imported)."""

    arrival_date: IsoDate | None = None


class HistoryImport(EngineModel):
    """A history file: ``blocks:`` of finished blocks (the format ``attrition backtest`` reads)."""

    blocks: Annotated[
        tuple[HistoryBlockInput, ...], AtMost(MAX_HISTORY_BLOCKS, "blocks"), Field(min_length=1)
    ]


@dataclass(frozen=True, slots=True)
class ParsedHistory:
    blocks: tuple[HistoryBlockInput, ...]
    #: The line of each block in the text (by index), for problems found after parsing.
    lines: dict[int, int]


def _refuse_too_many_blocks(text: str) -> None:
    """Count the blocks with the fast JSON reader before the one that maps every value to its line,
    which costs far more: an import over the limit is refused for the price of reading it once."""
    try:
        quick = json.loads(text)
    except (ValueError, RecursionError):
        return  # the line-mapping reader names the problem with its line
    blocks = quick.get("blocks") if isinstance(quick, dict) else None
    if isinstance(blocks, list) and len(blocks) > MAX_HISTORY_BLOCKS:
        raise InvalidInputError(
            "too many blocks in one import",
            [Problem("blocks", f"at most {MAX_HISTORY_BLOCKS:,} blocks per import ({len(blocks):,} given)")],
        )


def parse_history(text: str) -> ParsedHistory:
    """A history file's JSON text into blocks; every problem names its field and line."""
    if len(text) > MAX_BODY_BYTES:
        raise MalformedInputError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    if not text.strip():
        raise MalformedInputError("the body is empty: send a JSON object (blocks: ...)")
    _refuse_too_many_blocks(text)
    try:
        parsed = _parse_json("body", text)
    except ContractFileError as error:
        raise MalformedInputError(
            "the body is not valid JSON", [Problem(p.field, p.message, p.line) for p in error.problems]
        ) from None
    try:
        document = _validate(Path("body"), parsed, HistoryImport, "blocks: ...")
    except ContractFileError as error:
        raise InvalidInputError(
            "the history does not validate", [Problem(p.field, p.message, p.line) for p in error.problems]
        ) from None
    lines = {
        path[1]: line
        for path, line in parsed.lines.items()
        if len(path) == 2 and path[0] == "blocks" and isinstance(path[1], int)
    }
    return ParsedHistory(document.blocks, lines)


def import_history(
    session: Session,
    principal: Principal,
    property_id: int,
    blocks: Sequence[HistoryBlockInput],
    lines: dict[int, int] | None = None,
) -> list[BlockHistoryRecord]:
    """Store a hotel's past blocks as finished blocks of ``property_id``; all of them or none.

    A block's ``id`` is its reference in the property's history (one without an id gets one made from
    its content), so importing the same file twice is a conflict, not a double count. An ``account``
    the property does not know yet is added with the block's segment. ``lines`` (block index → line)
    locates problems found here."""
    prop = get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")
    lines = lines or {}
    references = _references(blocks)
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, reference in enumerate(references):
        if reference in seen:
            problems.append(
                Problem(
                    f"blocks[{index}].id", f"{reference!r} is also block {seen[reference]}", lines.get(index)
                )
            )
        seen.setdefault(reference, index)
    if problems:
        raise InvalidInputError("each block needs its own id", problems)
    taken = history_repo.references_taken(session, property_id, references)
    if taken:
        raise ConflictError(
            "the property's history already holds some of these blocks; nothing was imported",
            [
                Problem(
                    f"blocks[{index}].id",
                    f"the history already holds a block {reference!r}",
                    lines.get(index),
                )
                for index, reference in enumerate(references)
                if reference in taken
            ],
        )
    imported_on = hotel_today(prop.timezone)
    try:
        with session.begin_nested():
            accounts = history_repo.accounts_by_name(
                session, property_id, (b.account for b in blocks if b.account)
            )
            for block in blocks:
                if block.account and block.account not in accounts:
                    accounts[block.account] = repo.add(
                        session,
                        AccountRecord(property_id=property_id, name=block.account, segment=block.segment),
                    )
            records = [
                BlockHistoryRecord(
                    property_id=property_id,
                    account_id=accounts[block.account].id if block.account else None,
                    reference=reference,
                    segment=block.segment,
                    arrival_date=block.arrival_date or imported_on,
                    block_room_nights=block.block_room_nights,
                    final_room_nights=block.final_room_nights,
                    on_the_books=[point.model_dump() for point in block.on_the_books],
                )
                for block, reference in zip(blocks, references, strict=True)
            ]
            repo.add_all(session, records)
    except IntegrityError:
        raise ConflictError(
            "another import wrote to the property's history at the same time: try again"
        ) from None
    return records


def _references(blocks: Sequence[HistoryBlockInput]) -> list[str]:
    references: list[str] = []
    made: dict[str, int] = defaultdict(int)
    for block in blocks:
        if block.id:
            references.append(block.id)
            continue
        content = json.dumps(block.model_dump(mode="json", exclude={"id"}), sort_keys=True)
        reference = "block-" + hashlib.sha256(content.encode()).hexdigest()[:16]
        made[reference] += 1
        references.append(reference if made[reference] == 1 else f"{reference}-{made[reference]}")
    return references


def import_history_text(
    session: Session, principal: Principal, property_id: int, text: str
) -> list[BlockHistoryRecord]:
    """:func:`import_history` of a history file's JSON text (the API's body)."""
    get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")  # 403 before any 400/422
    parsed = parse_history(text)
    return import_history(session, principal, property_id, parsed.blocks, parsed.lines)


def list_history(
    session: Session, principal: Principal, property_id: int, segment: Segment | None, page: repo.Page
) -> tuple[Sequence[BlockHistoryRecord], int]:
    get_property(session, principal, property_id)
    return history_repo.list_history(session, property_id, None if segment is None else segment.value, page)
