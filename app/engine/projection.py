"""Projecting final pickup from on-the-books snapshots and comparable blocks (domain.md §6).

Methods, each a share of the block or of the pickup so that blocks of different sizes pool:

* **additive** ``F = OTB_t + B · mean((final − OTB_t) / B)``: domain.md's ``OTB_t + mean(final − OTB_t)``
  with the pickup still to come measured as a share of each block;
* **multiplicative** ``F = OTB_t · mean(final / OTB_t)``;
* **historical wash** ``F = B · (1 − mean wash)``, the wash being ``1 − final / B``;
* **booking curve** ``F = OTB_t / c(t)``, where ``c(t)`` is the segment prior's share of the final pickup
  that is on the books ``t`` days out. It is the default when the history is too thin.

With enough comparable blocks the method with the lowest leave-one-out error (MAPE) is chosen, and the
band is the central ``band_coverage_pct`` of the leave-one-out residuals of that method. Otherwise the
prior band applies: ± ``band_pct(t)`` of the remaining pickup (block − OTB).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Self

from pydantic import Field, model_validator

from app.engine.contract import AT_LEAST_ONE, EngineModel, RuleErrors, Segment
from app.engine.limits import MAX_NAME_CHARS, OneLine
from app.engine.money import Pct, pct_text, quantity_text

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
Days = Annotated[int, Field(ge=0, le=3650)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]


class Method(StrEnum):
    ADDITIVE = "additive"
    MULTIPLICATIVE = "multiplicative"
    HISTORICAL_WASH = "historical_wash"
    BOOKING_CURVE = "booking_curve"
    BLOCK = "block"


#: The methods fitted on history, in the order that breaks ties (simplest first).
HISTORY_METHODS = (Method.ADDITIVE, Method.MULTIPLICATIVE, Method.HISTORICAL_WASH)


# --- inputs ------------------------------------------------------------------------------------


class OnTheBooks(EngineModel):
    """Room nights on the books ``days_before_arrival`` days before arrival."""

    days_before_arrival: Days
    room_nights: Count


class HistoricalBlock(EngineModel):
    """A comparable past block: its size, its pickup curve and the pickup it finally reached."""

    id: OneLine = Field(default="", max_length=80)
    segment: Segment = Segment.OTHER
    account: OneLine = Field(default="", max_length=MAX_NAME_CHARS)
    block_room_nights: Annotated[int, Field(ge=1, le=10_000_000)]
    final_room_nights: Count
    on_the_books: Annotated[tuple[OnTheBooks, ...], AT_LEAST_ONE]

    @model_validator(mode="after")
    def _one_snapshot_per_lead_time(self) -> Self:
        days = [point.days_before_arrival for point in self.on_the_books]
        if len(set(days)) != len(days):
            raise ValueError("each days_before_arrival may appear only once in on_the_books")
        return self

    def on_the_books_at(self, days: int) -> Decimal | None:
        """OTB ``days`` out, interpolated linearly between snapshots; ``None`` outside them."""
        return _interpolate(
            sorted((p.days_before_arrival, Decimal(p.room_nights)) for p in self.on_the_books), days
        )


def _interpolate(points: Sequence[tuple[int, Decimal]], days: int) -> Decimal | None:
    for (near_days, near), (far_days, far) in pairwise(points):
        if near_days <= days <= far_days:
            return near + (far - near) * (days - near_days) / (far_days - near_days)
    if len(points) == 1 and points[0][0] == days:
        return points[0][1]
    return None


class CurvePoint(EngineModel):
    """A value (a percentage) at a lead time; curves are linear between points, flat beyond them."""

    days_before_arrival: Days
    pct: Annotated[Decimal, Field(gt=0, le=200, allow_inf_nan=False)]


def _curve_at(points: tuple[CurvePoint, ...], days: int) -> Decimal:
    ordered = sorted((p.days_before_arrival, p.pct) for p in points)
    if days <= ordered[0][0]:
        return ordered[0][1]
    if days >= ordered[-1][0]:
        return ordered[-1][1]
    value = _interpolate(ordered, days)
    assert value is not None
    return value


def _check_curve(points: tuple[CurvePoint, ...], name: str) -> None:
    days = [p.days_before_arrival for p in points]
    if len(set(days)) != len(days):
        raise ValueError(f"{name}: each days_before_arrival may appear only once")


class SegmentPrior(EngineModel):
    """What to expect of a segment without history (each default is documented with its source)."""

    booking_curve: Annotated[tuple[CurvePoint, ...], AT_LEAST_ONE]
    wash_pct: Pct
    band: Annotated[tuple[CurvePoint, ...], AT_LEAST_ONE]
    source: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _curves(self) -> Self:
        _check_curve(self.booking_curve, "booking_curve")
        _check_curve(self.band, "band")
        return self


class ForecastPriors(EngineModel):
    """Segment priors and the rules that decide when history is enough (configurable data)."""

    min_history_blocks: Annotated[int, Field(ge=3, le=10_000)] = 10
    band_coverage_pct: Annotated[Decimal, Field(gt=0, lt=100)] = Decimal(80)
    segments: Mapping[Segment, SegmentPrior]
    source: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _has_a_fallback(self) -> Self:
        if Segment.OTHER not in self.segments:
            errors = RuleErrors("ForecastPriors")
            errors.add(("segments",), "segments must include 'other', the prior for segments not listed")
            errors.raise_any()
        return self

    def prior(self, segment: Segment) -> SegmentPrior:
        return self.segments.get(segment) or self.segments[Segment.OTHER]


# --- the fit at one lead time --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MethodScore:
    """A method's leave-one-out mean absolute percentage error over the comparable blocks."""

    method: Method
    mape_pct: Decimal
    blocks: int


@dataclass(frozen=True, slots=True)
class LeadFit:
    """The method and band for one segment at one lead time, and why."""

    segment: Segment
    days_before_arrival: int
    method: Method
    parameter: Decimal
    reason: str
    blocks: int
    scores: tuple[MethodScore, ...]
    band_source: str
    #: Scenario shocks as a share of the block (sorted): leave-one-out residuals, or the prior's.
    shocks: tuple[Decimal, ...]
    low_share: Decimal = ZERO
    high_share: Decimal = ZERO
    band_pct: Decimal = ZERO
    #: The segment prior's wash (a share of the block), for a block with nothing on the books yet.
    prior_wash: Decimal = ZERO


def quantile(ordered: Sequence[Decimal], probability: Decimal) -> Decimal:
    """Linear-interpolation quantile (Hyndman-Fan type 7) of a sorted, non-empty sequence."""
    position = (len(ordered) - 1) * probability
    low = int(position.to_integral_value(rounding=ROUND_FLOOR))
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def predict(method: Method, parameter: Decimal, on_the_books: Decimal, block: Decimal) -> Decimal:
    """The expected final pickup by ``method`` with its fitted ``parameter`` (never below zero)."""
    if method is Method.ADDITIVE:
        value = on_the_books + parameter * block
    elif method is Method.MULTIPLICATIVE:
        value = on_the_books * parameter
    elif method is Method.HISTORICAL_WASH:
        value = block * (ONE - parameter)
    elif method is Method.BOOKING_CURVE:
        value = on_the_books / parameter
    else:
        value = block
    return max(ZERO, value)


def _observations(method: Method, rows: Sequence[tuple[Decimal, Decimal, Decimal]]) -> list[Decimal | None]:
    """Each comparable block's own parameter for ``method`` (``None`` where it is undefined)."""
    if method is Method.ADDITIVE:
        return [(final - otb) / block for block, otb, final in rows]
    if method is Method.MULTIPLICATIVE:
        return [final / otb if otb else None for block, otb, final in rows]
    return [ONE - final / block for block, otb, final in rows]


@dataclass(frozen=True, slots=True)
class _Trial:
    method: Method
    parameter: Decimal
    mape: Decimal
    residuals: tuple[Decimal, ...]


def _trial(method: Method, rows: Sequence[tuple[Decimal, Decimal, Decimal]]) -> _Trial | None:
    values = _observations(method, rows)
    known = [value for value in values if value is not None]
    if len(known) < 2:
        return None
    total = sum(known, ZERO)
    count = len(known)
    errors = ZERO
    judged = 0
    residuals: list[Decimal] = []
    for (block, otb, final), value in zip(rows, values, strict=True):
        # Leave this block out of its own parameter: the mean of the others.
        others = (total - value) / (count - 1) if value is not None else total / count
        forecast = predict(method, others, otb, block)
        residuals.append((final - forecast) / block)
        if final:
            errors += abs(forecast - final) / final
            judged += 1
    mape = errors * HUNDRED / judged if judged else ZERO
    return _Trial(method, total / count, mape, tuple(sorted(residuals)))


def fit_lead(
    segment: Segment, days: int, blocks: Iterable[HistoricalBlock], priors: ForecastPriors
) -> LeadFit:
    """Choose the method for ``segment`` at ``days`` before arrival (domain.md §6).

    With at least ``min_history_blocks`` comparable blocks that have a snapshot at this lead time, the
    method with the lowest leave-one-out MAPE wins (ties go to the simpler method) and the band is
    the central ``band_coverage_pct`` of its leave-one-out residuals. Otherwise the segment prior's
    booking curve and band apply.
    """
    rows: list[tuple[Decimal, Decimal, Decimal]] = []
    for block in blocks:
        otb = block.on_the_books_at(days)
        if otb is not None:
            rows.append((Decimal(block.block_room_nights), otb, Decimal(block.final_room_nights)))
    tail = (HUNDRED - priors.band_coverage_pct) / 2 / HUNDRED
    if len(rows) >= priors.min_history_blocks:
        trials = [trial for method in HISTORY_METHODS if (trial := _trial(method, rows)) is not None]
        best = min(trials, key=lambda trial: trial.mape)
        others = ", ".join(
            f"{trial.method.replace('_', ' ')} {_pct(trial.mape)}" for trial in trials if trial is not best
        )
        return LeadFit(
            segment=segment,
            days_before_arrival=days,
            method=best.method,
            parameter=best.parameter,
            reason=(
                f"{best.method.replace('_', ' ')} has the lowest leave-one-out error over {len(rows)} "
                f"comparable {segment} blocks at {days} days: MAPE {_pct(best.mape)}"
                + (f" (vs {others})" if others else "")
                + "."
            ),
            blocks=len(rows),
            scores=tuple(MethodScore(trial.method, trial.mape, len(rows)) for trial in trials),
            band_source="history",
            shocks=best.residuals,
            low_share=quantile(best.residuals, tail),
            high_share=quantile(best.residuals, ONE - tail),
        )
    prior = priors.prior(segment)
    share = _curve_at(prior.booking_curve, days)
    band = _curve_at(prior.band, days)
    z_edge = normal_quantile(ONE - tail)
    return LeadFit(
        segment=segment,
        days_before_arrival=days,
        method=Method.BOOKING_CURVE,
        parameter=share / HUNDRED,
        reason=(
            f"only {len(rows)} comparable {segment} blocks at {days} days "
            f"({priors.min_history_blocks} needed): the default booking curve, with "
            f"{pct_text(share.normalize())} of the final pickup on the books, and a band of "
            f"± {pct_text(band.normalize())} of the remaining pickup."
        ),
        blocks=len(rows),
        scores=(),
        band_source="prior",
        # The prior band is read as the central band_coverage_pct of a normal distribution.
        shocks=tuple(z / z_edge for z in _standard_scenarios()),
        band_pct=band,
        prior_wash=prior.wash_pct / HUNDRED,
    )


def _without_pickup(fit: LeadFit) -> LeadFit:
    """The prior fit for a block with nothing on the books: a booking curve scales what is booked, so
    from zero it would forecast zero (and the largest damages); the segment's usual wash is the better
    guess until the first rooms are booked (domain.md §6, historical wash)."""
    wash = pct_text((fit.prior_wash * HUNDRED).normalize())
    return replace(
        fit,
        method=Method.HISTORICAL_WASH,
        parameter=fit.prior_wash,
        reason=(
            f"nothing is on the books yet at {fit.days_before_arrival} days, so the booking curve has "
            f"nothing to scale: the {fit.segment} segment's usual wash of {wash} is applied to the block, "
            f"with a band of ± {pct_text(fit.band_pct.normalize())} of the remaining pickup."
        ),
    )


def _pct(value: Decimal) -> str:
    return pct_text(value.quantize(Decimal("0.1")))


class History:
    """Comparable blocks grouped by segment, with fits computed once per (segment, lead time)."""

    def __init__(self, blocks: Iterable[HistoricalBlock], priors: ForecastPriors) -> None:
        self.priors = priors
        self.by_segment: dict[Segment, list[HistoricalBlock]] = defaultdict(list)
        for block in blocks:
            self.by_segment[block.segment].append(block)
        self._fits: dict[tuple[Segment, int], LeadFit] = {}

    def fit(self, segment: Segment, days: int) -> LeadFit:
        key = (segment, days)
        fit = self._fits.get(key)
        if fit is None:
            fit = self._fits[key] = fit_lead(segment, days, self.by_segment.get(segment, ()), self.priors)
        return fit


# --- projecting one contract ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NightProjection:
    night: date
    block_room_nights: int
    on_the_books: int
    low: Decimal
    expected: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class PickupProjection:
    """Final pickup per night, low / expected / high, and the method and history behind it."""

    days_before_arrival: int
    fit: LeadFit
    nights: tuple[NightProjection, ...]
    low: Decimal
    expected: Decimal
    high: Decimal
    block_room_nights: int
    #: Scenario shocks as a share of each night's block, sorted (for the probability of damages).
    shocks: tuple[Decimal, ...]
    steps: tuple[str, ...] = field(default=())


def project_pickup(
    block: Mapping[date, int], on_the_books: Mapping[date, int], fit: LeadFit
) -> PickupProjection:
    """Project final pickup per night of ``block`` from ``on_the_books`` with ``fit`` (domain.md §6).

    The method's parameter applies to each night; the band is the history's residual quantiles times
    the night's block, or the prior band times the night's remaining pickup. ``low ≤ expected ≤ high``
    and none is below zero.
    """
    if fit.method is Method.BOOKING_CURVE and not any(on_the_books.get(night, 0) for night in block):
        fit = _without_pickup(fit)
    nights: list[NightProjection] = []
    low_total = expected_total = high_total = ZERO
    for night in sorted(block):
        rooms = block[night]
        booked = on_the_books.get(night, 0)
        size = Decimal(rooms)
        expected = predict(fit.method, fit.parameter, Decimal(booked), size)
        if fit.band_source == "history":
            low = min(expected, max(ZERO, expected + fit.low_share * size))
            high = max(expected, expected + fit.high_share * size)
        else:
            half = fit.band_pct * max(0, rooms - booked) / HUNDRED
            low = max(ZERO, expected - half)
            high = expected + half
        nights.append(NightProjection(night, rooms, booked, low, expected, high))
        low_total += low
        expected_total += expected
        high_total += high
    total_block = sum(block.values())
    shocks = fit.shocks
    if fit.band_source == "prior":
        booked_total = sum(min(on_the_books.get(n, 0), rooms) for n, rooms in block.items())
        scale = fit.band_pct * (total_block - booked_total) / HUNDRED / max(total_block, 1)
        shocks = tuple(shock * scale for shock in shocks)
    method = fit.method.replace("_", " ")
    steps = (
        f"{method.capitalize()} projection at {fit.days_before_arrival} days: {fit.reason}",
        f"{sum(on_the_books.get(n, 0) for n in block)} room nights on the books of a {total_block} "
        f"room-night block → expected {quantity_text(expected_total.quantize(Decimal('0.1')))}, "
        f"band {quantity_text(low_total.quantize(Decimal('0.1')))}"
        f"–{quantity_text(high_total.quantize(Decimal('0.1')))} ({fit.band_source}).",
    )
    return PickupProjection(
        days_before_arrival=fit.days_before_arrival,
        fit=fit,
        nights=tuple(nights),
        low=low_total,
        expected=expected_total,
        high=high_total,
        block_room_nights=total_block,
        shocks=shocks,
        steps=steps,
    )


# --- backtest ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadBacktest:
    """Errors of the chosen method and of ``final = block`` at one lead time, and band coverage."""

    days_before_arrival: int
    blocks: int
    mape_pct: Decimal
    block_mape_pct: Decimal
    coverage_pct: Decimal


@dataclass(frozen=True, slots=True)
class BacktestReport:
    leads: tuple[LeadBacktest, ...]
    #: The fit on the whole history, per segment and lead time: which method, and why.
    choices: tuple[LeadFit, ...]
    folds: int


def backtest(
    blocks: Sequence[HistoricalBlock],
    priors: ForecastPriors,
    lead_times: Sequence[int] = (60, 30, 14, 0),
    folds: int = 10,
) -> BacktestReport:
    """``folds``-fold cross-validation: each block is forecast from the history without its fold.

    Block ``i`` is in fold ``i mod folds``; the forecast goes through the same :class:`History` the
    exposure forecast uses. MAPE counts blocks with a final pickup above zero.
    """
    if folds < 2:
        raise ValueError(f"a backtest needs at least 2 folds, not {folds}")
    histories = [History((b for i, b in enumerate(blocks) if i % folds != k), priors) for k in range(folds)]
    leads: list[LeadBacktest] = []
    for days in lead_times:
        count = judged = covered = 0
        errors = block_errors = ZERO
        for index, block in enumerate(blocks):
            otb = block.on_the_books_at(days)
            if otb is None:
                continue
            fit = histories[index % folds].fit(block.segment, days)
            size = Decimal(block.block_room_nights)
            expected = predict(fit.method, fit.parameter, otb, size)
            if fit.band_source == "history":
                low = min(expected, max(ZERO, expected + fit.low_share * size))
                high = max(expected, expected + fit.high_share * size)
            else:
                half = fit.band_pct * max(ZERO, size - otb) / HUNDRED
                low, high = max(ZERO, expected - half), expected + half
            final = Decimal(block.final_room_nights)
            count += 1
            covered += low <= final <= high
            if final:
                judged += 1
                errors += abs(expected - final) / final
                block_errors += abs(size - final) / final
        leads.append(
            LeadBacktest(
                days_before_arrival=days,
                blocks=count,
                mape_pct=errors * HUNDRED / judged if judged else ZERO,
                block_mape_pct=block_errors * HUNDRED / judged if judged else ZERO,
                coverage_pct=Decimal(covered) * HUNDRED / count if count else ZERO,
            )
        )
    whole = History(blocks, priors)
    choices = tuple(whole.fit(segment, days) for segment in sorted(whole.by_segment) for days in lead_times)
    return BacktestReport(tuple(leads), choices, folds)


# --- the standard normal, in Decimal -------------------------------------------------------------

#: Scenario count for a prior band: the 2.5 %, 7.5 %, …, 97.5 % points of a normal distribution.
PRIOR_SCENARIOS = 20


def normal_cdf(x: Decimal) -> Decimal:
    """Φ(x) by its Taylor series (exact enough for |x| ≤ 6, clamped beyond)."""
    if x > 6:
        return ONE
    if x < -6:
        return ZERO
    term = x
    total = x
    square = x * x
    n = 0
    while abs(term) > Decimal("1e-20"):
        n += 1
        term = -term * square / (2 * n)
        total += term / (2 * n + 1)
    # Φ(x) = 1/2 + φ-series / sqrt(2π)
    return Decimal("0.5") + total * Decimal("0.3989422804014326779399460599")


def normal_quantile(probability: Decimal) -> Decimal:
    """Φ⁻¹(p) for 0 < p < 1, by bisection on :func:`normal_cdf` (to 1e-12)."""
    return _normal_quantile(probability)


@lru_cache(maxsize=256)
def _normal_quantile(probability: Decimal) -> Decimal:
    low, high = Decimal(-6), Decimal(6)
    while high - low > Decimal("1e-12"):
        middle = (low + high) / 2
        if normal_cdf(middle) < probability:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@lru_cache(maxsize=1)
def _standard_scenarios() -> tuple[Decimal, ...]:
    return tuple(
        normal_quantile((Decimal(k) + Decimal("0.5")) / PRIOR_SCENARIOS) for k in range(PRIOR_SCENARIOS)
    )


def share_below(shocks: Sequence[Decimal], threshold: Decimal) -> Decimal:
    """The percentage of sorted ``shocks`` strictly below ``threshold``."""
    return Decimal(bisect.bisect_left(shocks, threshold)) * HUNDRED / len(shocks)
