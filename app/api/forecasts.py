"""Forecasts: a contract's exposure, what-if assessments, the portfolio's exposure, and
the history of finished blocks that feeds them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.conventions import conflict
from app.api.deps import (
    JsonBody,
    Limit,
    Offset,
    OnceDep,
    PrincipalDep,
    SessionDep,
    body_schema,
    read_json_bytes,
    reads_first,
)
from app.api.schemas import Amount, ContractAssessmentPublic, Page, amount_of
from app.engine.contract import Segment
from app.engine.explain import Explained
from app.engine.forecast import Exposure, ScenarioDamages
from app.engine.limits import IsoDate
from app.engine.money import Money
from app.engine.projection import Method, method_name
from app.persistence import repositories as repo
from app.persistence.db import begin_write, end_reads
from app.persistence.records import BlockHistoryRecord
from app.services import assessments as assessment_service
from app.services import forecasts as service
from app.services import snapshots
from app.services.errors import MalformedInputError
from app.services.idempotency import Outcome
from app.services.inputs import MAX_BODY_BYTES

router = APIRouter(tags=["forecasts"])

AsOf = Annotated[IsoDate | None, Query(description="Default: today at the hotel")]
TENTH = Decimal("0.1")


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH)


def _maybe(money: Money | None) -> Amount | None:
    return None if money is None else amount_of(money)


# --- response shapes -------------------------------------------------------------------------------


class MethodScorePublic(BaseModel):
    method: Method
    mape_pct: Decimal = Field(description="Leave-one-out mean absolute percentage error")


class MethodPublic(BaseModel):
    """The projection method and why it was chosen (or why the default booking pace applies)."""

    name: Method
    label: str = Field(description="The method in words (e.g. booking pace)")
    reason: str
    reason_explained: Explained = Field(
        description="The text before it as its kind and named values (see the README's API section)"
    )
    band_source: str = Field(
        description="history: the spread of comparable blocks; prior: the segment's documented band"
    )
    comparable_blocks: int = Field(description="Comparable blocks with a snapshot at this lead time")
    scores: list[MethodScorePublic]


class NightProjectionPublic(BaseModel):
    night: date
    block_room_nights: int
    on_the_books: int
    low: Decimal
    expected: Decimal
    high: Decimal


class ProjectionPublic(BaseModel):
    """Projected final pickup (room nights, to 0.1), per night and in total."""

    block_room_nights: int
    on_the_books: int
    low: Decimal
    expected: Decimal
    high: Decimal
    nights: list[NightProjectionPublic]


class ScenarioPublic(BaseModel):
    scenario: str = Field(description="low, expected or high")
    room_nights: int = Field(description="The scenario's final pickup, rounded per night")
    damages: Amount


class BreakEvenPublic(BaseModel):
    night: date
    block_room_nights: int
    on_the_books: int
    break_even_room_nights: int
    still_needed_room_nights: int


class BreakEvenSummaryPublic(BaseModel):
    """The pickup at which room attrition owes nothing."""

    scope: str = Field(
        description="stay: the clause tests the whole stay, so the total is the figure and the nights "
        "show one way to split it; night: each night has its own figure"
    )
    room_nights: int
    on_the_books: int
    still_needed_room_nights: int


class OutlookPublic(BaseModel):
    """Damages over the forecast's equally likely scenarios (the whole total the contract charges)."""

    expected_damages: Amount = Field(description="The mean over the scenarios, rounded up to the minor unit")
    likely_worst_damages: Amount = Field(description="The 90th percentile: 9 scenarios in 10 owe no more")
    probability_of_damages_pct: Decimal
    scenarios: int


class ReductionOptionPublic(BaseModel):
    right: str
    right_explained: Explained = Field(
        description="The text before it as its kind and named values (see the README's API section)"
    )
    deadline: date
    room_nights: int = Field(
        description="The reduction priced: the rooms expected to go unused, within the right"
    )
    if_used: list[ScenarioPublic]
    if_not_used: list[ScenarioPublic]
    note: str
    note_explained: Explained = Field(
        description="The text before it as its kind and named values (see the README's API section)"
    )


class ForecastPublic(BaseModel):
    contract_id: int
    reference: str
    contract_version: int
    as_of: date
    days_before_arrival: int
    segment: str = Field(
        description="The segment whose history is comparable (the account's, else the group's)"
    )
    currency: str
    history_blocks: int = Field(description="Finished blocks of this property and segment")
    method: MethodPublic
    projection: ProjectionPublic
    scenarios: list[ScenarioPublic] = Field(
        description="The whole total at the low, expected and high pickup"
    )
    outlook: OutlookPublic
    probability_of_damages_pct: Decimal
    cancel_today: Amount | None = Field(description="What cancelling on as_of would cost; none: no clause")
    expected_fnb_spend: Amount | None = Field(description="The F&B spend projected for the expected pickup")
    break_even_total: BreakEvenSummaryPublic | None = Field(
        description="None: no attrition clause, or even a full block owes room attrition"
    )
    break_even: list[BreakEvenPublic] | None = Field(description="Per night; None as for break_even_total")
    reductions: list[ReductionOptionPublic]
    steps: list[str]
    steps_explained: list[Explained] = Field(description="The steps as kinds and named values (README, API)")


def _scenarios(scenarios: tuple[ScenarioDamages, ...]) -> list[ScenarioPublic]:
    return [
        ScenarioPublic(scenario=s.scenario, room_nights=s.room_nights, damages=amount_of(s.damages))
        for s in scenarios
    ]


def _method(exposure: Exposure) -> MethodPublic:
    fit = exposure.projection.fit
    return MethodPublic(
        name=fit.method,
        label=method_name(fit.method),
        reason=fit.reason,
        reason_explained=fit.reason.structured(),
        band_source=fit.band_source,
        comparable_blocks=fit.blocks,
        scores=[MethodScorePublic(method=s.method, mape_pct=_tenth(s.mape_pct)) for s in fit.scores],
    )


def _projection(exposure: Exposure) -> ProjectionPublic:
    projection = exposure.projection
    return ProjectionPublic(
        block_room_nights=projection.block_room_nights,
        on_the_books=sum(n.on_the_books for n in projection.nights),
        low=_tenth(projection.low),
        expected=_tenth(projection.expected),
        high=_tenth(projection.high),
        nights=[
            NightProjectionPublic(
                night=n.night,
                block_room_nights=n.block_room_nights,
                on_the_books=n.on_the_books,
                low=_tenth(n.low),
                expected=_tenth(n.expected),
                high=_tenth(n.high),
            )
            for n in projection.nights
        ],
    )


def forecast_public(forecast: service.ContractForecast) -> ForecastPublic:
    exposure = forecast.exposure
    assert forecast.record.id is not None
    return ForecastPublic(
        contract_id=forecast.record.id,
        reference=forecast.record.reference,
        contract_version=forecast.version,
        as_of=forecast.as_of,
        days_before_arrival=forecast.days_before_arrival,
        segment=forecast.segment,
        currency=forecast.contract.currency,
        history_blocks=forecast.comparable_blocks,
        method=_method(exposure),
        projection=_projection(exposure),
        scenarios=_scenarios(exposure.scenarios),
        outlook=OutlookPublic(
            expected_damages=amount_of(exposure.outlook.expected),
            likely_worst_damages=amount_of(exposure.outlook.likely_worst),
            probability_of_damages_pct=_tenth(exposure.outlook.probability_pct),
            scenarios=exposure.outlook.scenarios,
        ),
        probability_of_damages_pct=_tenth(exposure.probability_of_damages_pct),
        cancel_today=_maybe(exposure.cancel_today),
        expected_fnb_spend=_maybe(exposure.expected_fnb_spend),
        break_even_total=None
        if exposure.break_even is None
        else BreakEvenSummaryPublic(
            scope="stay" if exposure.break_even.is_over_stay else "night",
            room_nights=exposure.break_even.room_nights,
            on_the_books=exposure.break_even.on_the_books,
            still_needed_room_nights=exposure.break_even.still_needed_room_nights,
        ),
        break_even=None
        if exposure.break_even is None
        else [
            BreakEvenPublic(
                night=n.night,
                block_room_nights=n.block_room_nights,
                on_the_books=n.on_the_books,
                break_even_room_nights=n.break_even_room_nights,
                still_needed_room_nights=n.still_needed_room_nights,
            )
            for n in exposure.break_even.nights
        ],
        reductions=[
            ReductionOptionPublic(
                right=option.right,
                right_explained=option.right.structured(),
                deadline=option.deadline,
                room_nights=option.room_nights,
                if_used=_scenarios(option.if_used),
                if_not_used=_scenarios(option.if_not_used),
                note=option.note,
                note_explained=option.note.structured(),
            )
            for option in exposure.reductions
        ],
        steps=list(exposure.steps),
        steps_explained=[step.structured() for step in exposure.steps],
    )


class RangePublic(BaseModel):
    low: Decimal
    expected: Decimal
    high: Decimal


class MoneyRangePublic(BaseModel):
    low: Amount
    expected: Amount
    high: Amount


class ExposureRowPublic(BaseModel):
    contract_id: int
    property_id: int
    reference: str
    name: str
    status: str
    segment: str
    currency: str
    arrival_date: date
    departure_date: date
    as_of: date
    days_before_arrival: int
    block_room_nights: int
    on_the_books_room_nights: int
    projected_room_nights: RangePublic
    damages: MoneyRangePublic = Field(description="The whole total at the low, expected and high pickup")
    expected_damages: Amount = Field(description="The mean over the forecast's scenarios")
    likely_worst_damages: Amount = Field(description="The 90th percentile over the scenarios")
    probability_of_damages_pct: Decimal
    method: Method
    method_label: str


class NotForecastPublic(BaseModel):
    contract_id: int
    reference: str
    reason: str


class ExposurePage(BaseModel):
    items: list[ExposureRowPublic]
    total: int = Field(description="How many contracts were forecast, over all pages")
    limit: int
    offset: int
    not_forecast: list[NotForecastPublic] = Field(
        description="Open contracts of the selection that could not be forecast, and why"
    )


def _row(row: service.PortfolioRow) -> ExposureRowPublic:
    exposure = row.exposure
    low, expected, high = exposure.scenarios
    projection = exposure.projection
    return ExposureRowPublic(
        contract_id=row.contract_id,
        property_id=row.property_id,
        reference=row.reference,
        name=row.name,
        status=row.status,
        segment=row.segment,
        currency=expected.damages.currency,
        arrival_date=row.arrival_date,
        departure_date=row.departure_date,
        as_of=row.as_of,
        days_before_arrival=row.days_before_arrival,
        block_room_nights=row.block_room_nights,
        on_the_books_room_nights=row.on_the_books_room_nights,
        projected_room_nights=RangePublic(
            low=_tenth(projection.low), expected=_tenth(projection.expected), high=_tenth(projection.high)
        ),
        damages=MoneyRangePublic(
            low=amount_of(low.damages), expected=amount_of(expected.damages), high=amount_of(high.damages)
        ),
        expected_damages=amount_of(exposure.outlook.expected),
        likely_worst_damages=amount_of(exposure.outlook.likely_worst),
        probability_of_damages_pct=_tenth(exposure.probability_of_damages_pct),
        method=projection.fit.method,
        method_label=method_name(projection.fit.method),
    )


def _summary_row(item: snapshots.ExposureItem) -> ExposureRowPublic:
    forecast = item.forecast
    method = Method(forecast.method)
    return ExposureRowPublic(
        contract_id=item.contract_id,
        property_id=item.property_id,
        reference=item.reference,
        name=item.name,
        status=item.status,
        segment=forecast.segment,
        currency=forecast.damages_expected.currency,
        arrival_date=item.arrival_date,
        departure_date=item.departure_date,
        as_of=forecast.as_of,
        days_before_arrival=forecast.days_before_arrival,
        block_room_nights=forecast.block_room_nights,
        on_the_books_room_nights=forecast.on_the_books_room_nights,
        projected_room_nights=RangePublic(
            low=forecast.projected_low, expected=forecast.projected_expected, high=forecast.projected_high
        ),
        damages=MoneyRangePublic(
            low=amount_of(forecast.damages_low),
            expected=amount_of(forecast.damages_expected),
            high=amount_of(forecast.damages_high),
        ),
        expected_damages=amount_of(forecast.expected_damages),
        likely_worst_damages=amount_of(forecast.likely_worst_damages),
        probability_of_damages_pct=forecast.probability_of_damages_pct,
        method=method,
        method_label=method_name(method),
    )


class OnTheBooksPublic(BaseModel):
    days_before_arrival: int
    room_nights: int


class HistoryBlockPublic(BaseModel):
    id: int
    property_id: int
    account_id: int | None
    contract_id: int | None = Field(description="The completed contract it was kept from; none if imported")
    reference: str
    segment: str
    arrival_date: date
    block_room_nights: int
    final_room_nights: int
    on_the_books: list[OnTheBooksPublic]
    recorded_at: datetime


class HistoryImported(BaseModel):
    property_id: int
    imported: int
    items: list[HistoryBlockPublic]


def _history(record: BlockHistoryRecord) -> HistoryBlockPublic:
    assert record.id is not None
    return HistoryBlockPublic(
        id=record.id,
        property_id=record.property_id,
        account_id=record.account_id,
        contract_id=record.contract_id,
        reference=record.reference,
        segment=record.segment,
        arrival_date=record.arrival_date,
        block_room_nights=record.block_room_nights,
        final_room_nights=record.final_room_nights,
        on_the_books=[OnTheBooksPublic.model_validate(point) for point in record.on_the_books],
        recorded_at=record.recorded_at,
    )


# --- routes ----------------------------------------------------------------------------------------


@router.get(
    "/contracts/{contract_id}/forecast",
    response_model=ForecastPublic,
    summary="Forecast a contract's exposure as of a date: projected pickup, damages, break-even",
    description=(
        "Final pickup per night (low / expected / high) projected from the credited pickup on the books "
        "and the property's finished blocks of the same segment, with the method chosen and why; the "
        "damages of each scenario by the settlement engine; the probability that damages are owed; the "
        "break-even pickup per night; and each reduction right still open, used now or not. 409 for a "
        "contract that is not tentative or definite, has arrived, was cancelled or has no rooms left."
    ),
    responses=conflict("the contract cannot be forecast (not open, arrived, cancelled, no rooms left)"),
)
def read_forecast(
    contract_id: int, session: SessionDep, principal: PrincipalDep, as_of: AsOf = None
) -> ForecastPublic:
    return forecast_public(service.forecast_contract(session, principal, contract_id, as_of))


@router.post(
    "/contracts/{contract_id}/what-if",
    response_model=ContractAssessmentPublic,
    responses=conflict("the stored contract or its actuals no longer validate"),
    openapi_extra=body_schema(service.WhatIfRequest, "WhatIfRequest"),
    summary="Assess a stored contract with an assumed final pickup or block reduction (nothing is saved)",
    description=(
        "The answer is shaped as GET /contracts/{id}/assessment. Nothing is written, so read access suffices."
    ),
    tags=["forecasts", "assessments"],
)
@reads_first
def what_if(
    contract_id: int, session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    def write() -> Outcome:
        result = service.what_if(session, principal, contract_id, body)
        public = ContractAssessmentPublic(
            contract_id=result.contract_id,
            contract_version=result.contract_version,
            as_of=result.as_of,
            assessment=assessment_service.ASSESSMENT.dump_python(result.assessment, mode="json"),
        )
        return Outcome(200, public.model_dump(mode="json"))

    return once.answer(session, principal, write)


@router.get(
    "/exposure",
    response_model=ExposurePage,
    summary="The forecast exposure of open contracts, largest expected damages first",
    description=(
        "Tentative and definite contracts you may see that have not departed, filtered by property and "
        "arrival date, each forecast as of as_of (default: today at its hotel). Open reduction rights are "
        "not priced here; the contract's own forecast prices them. Without as_of the list is read from "
        "each contract's exposure snapshot (refreshed on every change, hourly when out of date, and on "
        "read for at most 20 of the page's contracts); a contract not snapshotted yet is listed in "
        "not_forecast as being updated, and not_forecast lists at most 200 contracts. With as_of it is "
        "forecast on request."
    ),
)
def read_exposure(
    session: SessionDep,
    principal: PrincipalDep,
    property_id: Annotated[int | None, Query(ge=1)] = None,
    arrival_from: IsoDate | None = None,
    arrival_to: IsoDate | None = None,
    as_of: AsOf = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ExposurePage:
    if as_of is not None:
        # A chosen date is forecast on request (snapshots hold today's figures only).
        portfolio = service.portfolio_exposure(
            session,
            principal,
            property_id=property_id,
            arrival_from=arrival_from,
            arrival_to=arrival_to,
            as_of=as_of,
            limit=limit,
            offset=offset,
        )
        items = [_row(row) for row in portfolio.items]
        total, skipped = portfolio.total, portfolio.not_forecast
    else:
        where = snapshots.exposure_selection(
            session, principal, property_id=property_id, arrival_from=arrival_from, arrival_to=arrival_to
        )
        listed = snapshots.read_exposure(session, where, repo.Page(limit, offset))
        if listed.stale:
            # Refreshed in a write transaction of their own, then read again (app.services.snapshots).
            end_reads(session)
            begin_write(session)
            snapshots.refresh_contracts(session, listed.stale)
            session.commit()
            listed = snapshots.read_exposure(session, where, repo.Page(limit, offset))
        items = [_summary_row(item) for item in listed.items]
        total, skipped = listed.total, listed.not_forecast
    return ExposurePage(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        not_forecast=[
            NotForecastPublic(contract_id=item.contract_id, reference=item.reference, reason=item.reason)
            for item in skipped
        ],
    )


@router.get(
    "/properties/{property_id}/history",
    response_model=Page[HistoryBlockPublic],
    summary="The property's finished blocks (latest arrival first), which feed its forecasts",
)
def list_history(
    property_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    segment: Segment | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[HistoryBlockPublic]:
    items, total = service.list_history(session, principal, property_id, segment, repo.Page(limit, offset))
    return Page[HistoryBlockPublic](
        items=[_history(item) for item in items], total=total, limit=limit, offset=offset
    )


async def read_text(request: Request) -> str:
    """A JSON body as text: the history's problems are located by line, so it is parsed by the service."""
    raw = await read_json_bytes(request, "the history")
    if len(raw) > MAX_BODY_BYTES:
        raise MalformedInputError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedInputError("the body is not UTF-8 text") from None


@router.post(
    "/properties/{property_id}/history",
    status_code=201,
    response_model=HistoryImported,
    responses=conflict("a block of the import is in the history already"),
    openapi_extra=body_schema(service.HistoryImport, "HistoryImport"),
    summary="Import past blocks into the property's history (the format of attrition backtest's files)",
    description=(
        "All blocks or none. A block's id is its reference in the history (one is made from its content "
        "when it has none), so importing the same blocks again is a 409. An account the property does not "
        "know yet is added. Problems name the field and the line of the body."
    ),
)
def import_history(
    property_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    text: Annotated[str, Depends(read_text)],
    once: OnceDep,
) -> JSONResponse:
    def write() -> Outcome:
        records = service.import_history_text(session, principal, property_id, text)
        imported = HistoryImported(
            property_id=property_id, imported=len(records), items=[_history(record) for record in records]
        )
        return Outcome(201, imported.model_dump(mode="json"))

    return once.answer(session, principal, write)
