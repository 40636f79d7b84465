"""Projecting final pickup from on-the-books snapshots and comparable blocks (docs/rules.md §6).

Methods, each a share of the block or of the pickup so that blocks of different sizes pool:

* **additive** ``F = OTB_t + B · mean((final − OTB_t) / B)``: docs/rules.md's ``OTB_t + mean(final − OTB_t)``
  with the pickup still to come measured as a share of each block;
* **multiplicative** ``F = OTB_t · mean(final / OTB_t)``;
* **historical wash** ``F = B · (1 − mean wash)``, the wash being ``1 − final / B``;
* **booking pace** (the default when the history is too thin): the pace estimate ``OTB_t / c(t)``, where
  ``c(t)`` is the segment prior's share of the final pickup on the books ``t`` days out, weighted
  against the wash prior ``B · (1 − wash)`` by its credibility ``Z = min(1, c(t))``:
  ``F = Z · OTB_t / c(t) + (1 − Z) · B · (1 − wash)``, which is ``OTB_t + (1 − c(t)) · B · (1 − wash)``
  far from arrival (the Bornhuetter-Ferguson estimate of actuarial reserving). Far out, when little
  is booked, the prior carries the forecast instead of a division by a small share.

With enough comparable blocks the method with the lowest leave-one-out error (MAPE) is chosen, and the
band is the central ``band_coverage_pct`` of the leave-one-out residuals of that method. Otherwise the
prior band applies: ± ``band_pct(t)`` of the remaining pickup (block − OTB).

Every projected night is bounded: never below what is on the books less the no-shows the segment
supports (the lowest final / on-the-books ratio seen in its comparable history at that lead time, else
the prior booking curve's excess over 100 % on arrival), never above the block plus the over-pickup
the segment supports (the largest seen in its comparable history, else the prior's
``over_pickup_pct``).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Self

from pydantic import Field, model_validator

from app.engine.contract import AT_LEAST_ONE, EngineModel, RuleErrors, Segment
from app.engine.explain import N_, Items, Percent, Say, say, templates, words
from app.engine.limits import MAX_NAME_CHARS, OneLine
from app.engine.money import Pct

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


#: The methods in words, as planners read them (the words table of :mod:`app.engine.explain`).
METHOD_NAMES = {method: words(method) for method in Method}

templates(
    {
        "fit.history": N_(
            "{method} has the lowest leave-one-out error over {blocks} comparable {segment} blocks at {days} "
            "days: MAPE {mape}."
        ),
        "fit.history_vs": N_(
            "{method} has the lowest leave-one-out error over {blocks} comparable {segment} blocks at {days} "
            "days: MAPE {mape} (vs {others})."
        ),
        "fit.method_score": N_("{method} {mape}"),
        "fit.prior": N_(
            "only {blocks} comparable {segment} blocks at {days} days ({needed} needed): the default "
            "booking pace, with {share} of the final pickup on the books by now, weighted {credibility} "
            "against the segment's usual wash of {wash} (weighted {rest}), and a band of ± {band} of the "
            "remaining pickup."
        ),
        "projection.step.method": N_("Projection by {method} at {days} days: {reason}"),
        "projection.step.band": N_(
            "{on_the_books} room nights on the books of a {block} room-night block → expected {expected}, "
            "band {low}–{high} ({band_source}); each night stays between what is on the books and the block "
            "plus {cap}."
        ),
        "projection.band.history": N_("the spread of comparable blocks"),
        "projection.band.prior": N_("the published band"),
    }
)

#: Scenario count: the history's residuals and the prior band are read at this many quantiles.
SCENARIOS = 20


def method_name(method: Method) -> str:
    """The method in words (``booking pace``, not its identifier)."""
    return METHOD_NAMES[method]


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
    #: How far final pickup may exceed the block without history that shows more (a few per cent).
    over_pickup_pct: Annotated[Decimal, Field(ge=0, le=50, allow_inf_nan=False)] = Decimal(3)
    source: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _curves(self) -> Self:
        _check_curve(self.booking_curve, "booking_curve")
        _check_curve(self.band, "band")
        return self

    def share_on_the_books(self, days: int) -> Decimal:
        """The booking curve at ``days`` before arrival: the share (pct) of the final pickup on the books."""
        return _curve_at(self.booking_curve, days)


class ForecastPriors(EngineModel):
    """Segment priors and the rules that decide when history is enough (configurable data)."""

    min_history_blocks: Annotated[int, Field(ge=3, le=10_000)] = 10
    band_coverage_pct: Annotated[Decimal, Field(gt=0, lt=100)] = Decimal(80)
    #: Expected F&B spend, before it is recorded, as a share of the F&B minimum at full attendance;
    #: spend follows the projected attendance (final pickup / block).
    fnb_spend_pct: Annotated[Decimal, Field(ge=0, le=200, allow_inf_nan=False)] = Decimal(100)
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
    reason: Say
    blocks: int
    scores: tuple[MethodScore, ...]
    band_source: str
    #: Scenario shocks as a share of the block (sorted): leave-one-out residuals, or the prior's.
    shocks: tuple[Decimal, ...]
    low_share: Decimal = ZERO
    high_share: Decimal = ZERO
    band_pct: Decimal = ZERO
    #: The segment prior's wash (a share of the block), weighed against the booking pace.
    prior_wash: Decimal = ZERO
    #: The largest final pickup above the block the segment supports, as a share of the block.
    over_pickup: Decimal = Decimal("0.03")
    #: The lowest final pickup as a share of what is on the books: what is booked less the no-shows the
    #: segment supports (the lowest final / on the books in its history at this lead time, else the
    #: prior booking curve's excess over 100 % on arrival).
    floor_share: Decimal = ONE


def quantile(ordered: Sequence[Decimal], probability: Decimal) -> Decimal:
    """Linear-interpolation quantile (Hyndman-Fan type 7) of a sorted, non-empty sequence."""
    position = (len(ordered) - 1) * probability
    low = int(position.to_integral_value(rounding=ROUND_FLOOR))
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def predict(
    method: Method, parameter: Decimal, on_the_books: Decimal, block: Decimal, wash: Decimal = ZERO
) -> Decimal:
    """The expected final pickup by ``method`` with its fitted ``parameter`` (never below zero).

    For the booking pace, ``parameter`` is the share ``c`` on the books and ``wash`` the prior wash:
    the pace estimate ``OTB / c`` weighted by its credibility ``Z = min(1, c)`` against ``B · (1 − wash)``.
    """
    if method is Method.ADDITIVE:
        value = on_the_books + parameter * block
    elif method is Method.MULTIPLICATIVE:
        value = on_the_books * parameter
    elif method is Method.HISTORICAL_WASH:
        value = block * (ONE - parameter)
    elif method is Method.BOOKING_CURVE:
        credibility = min(ONE, parameter)
        value = credibility * on_the_books / parameter + (ONE - credibility) * block * (ONE - wash)
    else:
        value = block
    return max(ZERO, value)


@dataclass(frozen=True, slots=True)
class NightBounds:
    """One night's projection before the band: the expected final pickup, its bounds, and the room
    nights one unit of shock moves it (the block for history residuals, the prior band's half-width)."""

    floor: Decimal
    cap: Decimal
    expected: Decimal
    spread: Decimal

    def outcome(self, shock: Decimal) -> Decimal:
        """The final pickup under ``shock``, within the bounds."""
        return min(self.cap, max(self.floor, self.expected + shock * self.spread))


def night_bounds(fit: LeadFit, on_the_books: Decimal, block: Decimal) -> NightBounds:
    """Bound one night: never below what is on the books less the segment's usual
    no-shows, never above the block plus the over-pickup the segment supports (or what is already on
    the books, if more)."""
    floor = on_the_books * fit.floor_share
    cap = max(floor, block * (ONE + fit.over_pickup))
    expected = min(cap, max(floor, predict(fit.method, fit.parameter, on_the_books, block, fit.prior_wash)))
    if fit.band_source == "history":
        spread = block
    else:
        spread = fit.band_pct * max(ZERO, block - on_the_books) / HUNDRED
    return NightBounds(floor, cap, expected, spread)


def band_shocks(fit: LeadFit) -> tuple[Decimal, Decimal]:
    """The low and high shocks of the band (the central ``band_coverage_pct``)."""
    if fit.band_source == "history":
        return min(ZERO, fit.low_share), max(ZERO, fit.high_share)
    return -ONE, ONE


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
    """Choose the method for ``segment`` at ``days`` before arrival (docs/rules.md §6).

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
        others = Items(
            tuple(
                say("fit.method_score", method=trial.method, mape=_pct(trial.mape))
                for trial in trials
                if trial is not best
            )
        )
        return LeadFit(
            segment=segment,
            days_before_arrival=days,
            method=best.method,
            parameter=best.parameter,
            reason=(
                say(
                    "fit.history_vs",
                    method=best.method,
                    blocks=len(rows),
                    segment=segment,
                    days=days,
                    mape=_pct(best.mape),
                    others=others,
                )
                if others.values
                else say(
                    "fit.history",
                    method=best.method,
                    blocks=len(rows),
                    segment=segment,
                    days=days,
                    mape=_pct(best.mape),
                )
            ),
            blocks=len(rows),
            scores=tuple(MethodScore(trial.method, trial.mape, len(rows)) for trial in trials),
            band_source="history",
            shocks=_grid(best.residuals),
            low_share=quantile(best.residuals, tail),
            high_share=quantile(best.residuals, ONE - tail),
            prior_wash=priors.prior(segment).wash_pct / HUNDRED,
            over_pickup=max((final / block - ONE for block, _, final in rows), default=ZERO).max(ZERO),
            floor_share=min(
                (final / otb for _, otb, final in rows if otb), default=_floor_share(priors.prior(segment))
            ).min(ONE),
        )
    prior = priors.prior(segment)
    share = _curve_at(prior.booking_curve, days)
    band = _curve_at(prior.band, days)
    z_edge = normal_quantile(ONE - tail)
    credibility = min(HUNDRED, share)
    return LeadFit(
        segment=segment,
        days_before_arrival=days,
        method=Method.BOOKING_CURVE,
        parameter=share / HUNDRED,
        reason=say(
            "fit.prior",
            blocks=len(rows),
            segment=segment,
            days=days,
            needed=priors.min_history_blocks,
            share=_pct(share),
            credibility=_pct(credibility),
            wash=_pct(prior.wash_pct),
            rest=_pct(HUNDRED - credibility),
            band=_pct(band),
        ),
        blocks=len(rows),
        scores=(),
        band_source="prior",
        # The prior band is read as the central band_coverage_pct of a normal distribution.
        shocks=tuple(z / z_edge for z in _standard_scenarios()),
        band_pct=band,
        prior_wash=prior.wash_pct / HUNDRED,
        over_pickup=prior.over_pickup_pct / HUNDRED,
        floor_share=_floor_share(prior),
    )


def _floor_share(prior: SegmentPrior) -> Decimal:
    """What is on the books that shows up: ``1 / c(0)`` where the curve ends above 100 % on arrival."""
    return HUNDRED / max(HUNDRED, _curve_at(prior.booking_curve, 0))


def _grid(ordered: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """At most :data:`SCENARIOS` equally likely quantiles of sorted ``ordered`` (all of them if fewer)."""
    if len(ordered) <= SCENARIOS:
        return tuple(ordered)
    return tuple(quantile(ordered, (Decimal(k) + Decimal("0.5")) / SCENARIOS) for k in range(SCENARIOS))


def _pct(value: Decimal) -> Percent:
    """A percentage for a sentence: one decimal, no trailing zero (``20.7 %``, ``25 %``)."""
    return Percent(value.quantize(Decimal("0.1")).normalize())


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
    #: The bounds and the room nights per unit of shock (see :class:`NightBounds`).
    bounds: NightBounds | None = None

    def outcome(self, shock: Decimal) -> Decimal:
        """This night's final pickup in the scenario ``shock``."""
        return self.expected if self.bounds is None else self.bounds.outcome(shock)


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
    #: Equally likely scenario shocks, sorted: each gives a final pickup per night (``outcome``).
    shocks: tuple[Decimal, ...]
    steps: tuple[Say, ...] = field(default=())

    def scenario(self, shock: Decimal) -> tuple[Decimal, ...]:
        """The final pickup of every night in the scenario ``shock`` (each within its bounds)."""
        return tuple(night.outcome(shock) for night in self.nights)


def project_pickup(
    block: Mapping[date, int], on_the_books: Mapping[date, int], fit: LeadFit
) -> PickupProjection:
    """Project final pickup per night of ``block`` from ``on_the_books`` with ``fit`` (docs/rules.md §6).

    The method's parameter applies to each night; the band is the history's residual quantiles times
    the night's block, or the prior band times the night's remaining pickup. Every figure is between
    what is on the books and the block plus the supported over-pickup, and ``low ≤ expected ≤ high``.
    """
    low_shock, high_shock = band_shocks(fit)
    nights: list[NightProjection] = []
    low_total = expected_total = high_total = ZERO
    for night in sorted(block):
        rooms = block[night]
        booked = on_the_books.get(night, 0)
        bounds = night_bounds(fit, Decimal(booked), Decimal(rooms))
        low = bounds.outcome(low_shock)
        high = bounds.outcome(high_shock)
        nights.append(NightProjection(night, rooms, booked, low, bounds.expected, high, bounds))
        low_total += low
        expected_total += bounds.expected
        high_total += high
    total_block = sum(block.values())
    cap_pct = _pct(fit.over_pickup * HUNDRED)
    tenth = Decimal("0.1")
    steps = (
        say("projection.step.method", method=fit.method, days=fit.days_before_arrival, reason=fit.reason),
        say(
            "projection.step.band",
            on_the_books=sum(on_the_books.get(n, 0) for n in block),
            block=total_block,
            expected=expected_total.quantize(tenth),
            low=low_total.quantize(tenth),
            high=high_total.quantize(tenth),
            band_source=say(
                "projection.band.history" if fit.band_source == "history" else "projection.band.prior"
            ),
            cap=cap_pct,
        ),
    )
    return PickupProjection(
        days_before_arrival=fit.days_before_arrival,
        fit=fit,
        nights=tuple(nights),
        low=low_total,
        expected=expected_total,
        high=high_total,
        block_room_nights=total_block,
        shocks=fit.shocks,
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
    #: Mean absolute error of the expected damages under the reference clause, in rate units.
    damages_mae: Decimal = ZERO
    #: The same error as a share of each block's revenue (pct), averaged.
    damages_mae_pct: Decimal = ZERO
    #: Brier score of the probability of damages (0 is perfect; always saying 50 % scores 0.25).
    brier: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class DamagesReference:
    """The clause a backtest prices damages with, since a history holds blocks, not contracts: a
    cumulative test at ``performance_pct``, minimum rounded up, every unused room night at ``rate``."""

    performance_pct: Decimal = Decimal(80)
    rate: Decimal = Decimal(200)

    def damages(self, block: Decimal, final: Decimal) -> Decimal:
        minimum = (block * self.performance_pct / HUNDRED).to_integral_value(rounding=ROUND_CEILING)
        rooms = final.to_integral_value(rounding=ROUND_HALF_UP)
        return max(ZERO, minimum - rooms) * self.rate


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
    reference: DamagesReference = DamagesReference(),
) -> BacktestReport:
    """``folds``-fold cross-validation: each block is forecast from the history without its fold.

    Block ``i`` is in fold ``i mod folds``; the forecast goes through the same :class:`History` the
    exposure forecast uses. MAPE counts blocks with a final pickup above zero. Damages are priced with
    ``reference`` over the forecast's scenarios, as the exposure forecast prices a contract's: the
    error of their mean against the damages of the actual final pickup, and the Brier score of the
    share of scenarios that owe anything against whether anything was owed.
    """
    if folds < 2:
        raise ValueError(f"a backtest needs at least 2 folds, not {folds}")
    histories = [History((b for i, b in enumerate(blocks) if i % folds != k), priors) for k in range(folds)]
    leads: list[LeadBacktest] = []
    for days in lead_times:
        count = judged = covered = 0
        errors = block_errors = damages_errors = damages_shares = brier = ZERO
        for index, block in enumerate(blocks):
            otb = block.on_the_books_at(days)
            if otb is None:
                continue
            fit = histories[index % folds].fit(block.segment, days)
            size = Decimal(block.block_room_nights)
            bounds = night_bounds(fit, otb, size)
            low_shock, high_shock = band_shocks(fit)
            expected, low, high = bounds.expected, bounds.outcome(low_shock), bounds.outcome(high_shock)
            final = Decimal(block.final_room_nights)
            count += 1
            covered += low <= final <= high
            outcomes = [reference.damages(size, bounds.outcome(shock)) for shock in fit.shocks]
            expected_damages = sum(outcomes, ZERO) / len(outcomes)
            chance = Decimal(sum(1 for value in outcomes if value > 0)) / len(outcomes)
            actual = reference.damages(size, final)
            damages_errors += abs(expected_damages - actual)
            damages_shares += abs(expected_damages - actual) * HUNDRED / (size * reference.rate)
            brier += (chance - (ONE if actual > 0 else ZERO)) ** 2
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
                damages_mae=damages_errors / count if count else ZERO,
                damages_mae_pct=damages_shares / count if count else ZERO,
                brier=brier / count if count else ZERO,
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
