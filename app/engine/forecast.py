"""Forecasting exposure before the event (docs/rules.md §6).

The pickup projection (methods, method choice, band) is in :mod:`app.engine.projection`; this module
prices its scenarios with the settlement engine: the whole total the contract would charge (room
attrition, F&B minimum with spend projected from attendance, meeting-room scale, tax, deposits) in each
equally likely scenario, so the expected damages are an expectation, with a likely-worst value (P90) and
the probability of any damages; the break-even pickup per evaluation mode; what cancelling today would
cost; and each open reduction right used now or not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator

from app.engine.actuals import Actuals, FnbSpend, PickupEntry
from app.engine.assess import assess
from app.engine.attrition import minimum_room_nights
from app.engine.contract import (
    AttritionClause,
    BaselineMode,
    Contract,
    DamageRateRule,
    EngineModel,
    EvaluationMode,
    PickupSource,
    ReductionBasis,
    ReductionRight,
    ResaleMode,
    RoomCount,
    ThresholdSemantics,
)
from app.engine.explain import N_, Percent, Say, say, templates
from app.engine.money import Money, fraction, minor_units
from app.engine.projection import HUNDRED, ONE, ZERO, History, PickupProjection, project_pickup, quantile


def pickup_after_wash(block_room_nights: int, wash_pcts: Iterable[Decimal]) -> Decimal:
    """Historical wash: ``F = B · (1 − wash)`` (docs/rules.md §6).

    ``wash_pcts`` are the washes expected at the remaining lead times, each written 0-100 and each a
    share of the **original** block, so they add up: a block of 40 with washes of 25 %, 10 % and 2 %
    gives ``40 · (1 − 0.37) = 25.2`` room nights. The result is exact; rounding it to whole rooms is
    the caller's named choice.
    """
    if isinstance(block_room_nights, bool) or not isinstance(block_room_nights, int):
        raise TypeError("block_room_nights must be a whole number of room nights")
    if block_room_nights < 0:
        raise ValueError(f"block_room_nights must not be negative, not {block_room_nights}")
    total = Decimal(0)
    for pct in wash_pcts:
        if not isinstance(pct, Decimal) or not pct.is_finite():
            raise TypeError(f"a wash is a finite Decimal percentage (0-100), not {pct!r}")
        if not 0 <= pct <= 100:
            raise ValueError(f"a wash is a percentage from 0 to 100, not {pct}")
        total += pct
    if total > 100:
        raise ValueError(f"the washes add up to {total} %, more than the whole block")
    return block_room_nights * (1 - fraction(total))


# --- exposure before the event (docs/rules.md §6) ----------------------------------------------------


class NightCount(EngineModel):
    night: date
    room_nights: Annotated[int, Field(ge=0, le=100_000)]


class PickupSnapshot(EngineModel):
    """Room nights on the books per night, ``days_before_arrival`` days before arrival."""

    days_before_arrival: Annotated[int, Field(ge=0, le=3650)]
    nights: tuple[NightCount, ...] = ()

    @model_validator(mode="after")
    def _one_count_per_night(self) -> Self:
        nights = [count.night for count in self.nights]
        if len(set(nights)) != len(nights):
            raise ValueError("each night may appear only once in a snapshot")
        return self


templates(
    {
        "forecast.step.fnb": N_(
            "F&B spend projected at {spend} for the expected pickup: the larger of the spend recorded and "
            "the F&B minimum × {pct} × attendance (final pickup / block)."
        ),
        "forecast.step.outlook": N_(
            "Over {scenarios} equally likely scenarios: expected damages {expected}, likely worst (9 in 10 "
            "scenarios owe no more) {worst}, probability of damages {pct}."
        ),
        "forecast.reduction.unnamed": N_("reduction right to {deadline}"),
        "forecast.reduction.nothing": N_(
            "Nothing to reduce: no room is expected to go unused within the right's limit."
        ),
        "forecast.reduction.not_available": N_("Not available: {reason}"),
        "forecast.reduction.original": N_(
            "Reducing the block by {size} room nights on {as_of} ({pct} of the original block allowed until "
            "{deadline})."
        ),
        "forecast.reduction.current": N_(
            "Reducing the block by {size} room nights on {as_of} ({pct} of the current block allowed until "
            "{deadline})."
        ),
    }
)


@dataclass(frozen=True, slots=True)
class ScenarioDamages:
    """What the group would owe if final pickup were this scenario's (the settlement engine's total)."""

    scenario: str
    room_nights: int
    damages: Money


@dataclass(frozen=True, slots=True)
class NightBreakEven:
    night: date
    block_room_nights: int
    on_the_books: int
    break_even_room_nights: int
    still_needed_room_nights: int


@dataclass(frozen=True, slots=True)
class BreakEven:
    """The pickup at which room attrition owes nothing (docs/rules.md §6).

    ``is_over_stay``: the clause tests the whole stay (cumulative, revenue, greater-of, tiered), so the
    figure is one total and ``nights`` only shows one way to split it (in proportion to what is still
    open on each night); otherwise each night has its own figure (per-night modes; a per-night test with
    credit counts the pickup already above the block against the short nights)."""

    is_over_stay: bool
    room_nights: int
    on_the_books: int
    still_needed_room_nights: int
    nights: tuple[NightBreakEven, ...]


@dataclass(frozen=True, slots=True)
class DamagesOutlook:
    """The damages over the forecast's equally likely scenarios: their mean (rounded up to the minor
    unit, so that a chance of damages never reads as zero), the 90th percentile and the share of
    scenarios that owe anything."""

    expected: Money
    likely_worst: Money
    probability_pct: Decimal
    scenarios: int


@dataclass(frozen=True, slots=True)
class ReductionOption:
    """A reduction right still open: the damages if the group uses it now, and if it does not."""

    right: Say
    deadline: date
    room_nights: int
    if_used: tuple[ScenarioDamages, ...]
    if_not_used: tuple[ScenarioDamages, ...]
    note: Say


@dataclass(frozen=True, slots=True)
class Exposure:
    """The forecast exposure of a contract ``days_before_arrival`` out (docs/rules.md §6)."""

    contract_id: str
    as_of: date
    projection: PickupProjection
    scenarios: tuple[ScenarioDamages, ...]
    probability_of_damages_pct: Decimal
    #: ``None``: no attrition clause (or not asked for). A full block never owes (the cap, §3.7).
    break_even: BreakEven | None
    reductions: tuple[ReductionOption, ...]
    steps: tuple[Say, ...]
    outlook: DamagesOutlook
    #: What the contract would charge if the group cancelled on the as-of date (``None``: no clause).
    cancel_today: Money | None = None
    #: The F&B spend projected for the expected pickup (``None``: no F&B minimum).
    expected_fnb_spend: Money | None = None


_SETTLEMENT_ONLY_ROOMS = {
    "fnb": None,
    "rental_scale": None,
    "meeting_room_rental": None,
    "deposits": (),
    "cancellation": None,
}

#: Room-attrition modes tested over the whole stay: the break-even is one total.
OVER_STAY_MODES = frozenset(
    {EvaluationMode.CUMULATIVE, EvaluationMode.REVENUE, EvaluationMode.GREATER_OF, EvaluationMode.TIERED}
)


class _Settlement:
    """Prices a final pickup per night with the settlement engine.

    :meth:`damages` is room attrition alone (the break-even's test); :meth:`total` is the whole total
    the contract would charge at departure: room attrition, the F&B minimum (spend projected from the
    attendance, see :meth:`fnb_spend`), the meeting-room scale, tax and deposits. Resale credit is
    unknown before the event, so ``resale_mode`` is taken as ``none`` (the conservative reading).
    Released rooms at the cut-off are taken at the scenario's pickup.

    Common clauses (cumulative or per-night room-night tests at the contract rate, adjusted baseline,
    no off-line rooms, comps, rebates or tax) are priced by a lean path with the same formulas as
    :mod:`app.engine.attrition` (a test holds it equal to :func:`assess`); every other clause goes
    through :func:`assess` itself.
    """

    def __init__(
        self,
        contract: Contract,
        as_of: date,
        *,
        lean: bool = True,
        recorded: Actuals | None = None,
        fnb_spend_pct: Decimal = HUNDRED,
    ) -> None:
        self.source = contract
        self.nights = contract.nights
        self.cells = contract.rooms_after_reductions(as_of)
        self.types_by_night: dict[date, list[tuple[str, int]]] = defaultdict(list)
        for (night, room_type), rooms in self.cells.items():
            self.types_by_night[night].append((room_type, rooms))
        self.block_total = sum(self.cells.values())
        self._memo: dict[tuple[int, ...], Money] = {}
        self._totals: dict[tuple[int, ...], Money] = {}
        # Pickup on the cut-off date is read only by a clause under which released rooms do not count.
        self.releases = contract.attrition is not None and not contract.attrition.released_rooms_count
        self._contract: Contract | None = None
        self._whole: Contract | None = None
        self.recorded = recorded
        self.fnb_spend_pct = fnb_spend_pct
        self._lean_terms: tuple[Decimal, list[Decimal], Decimal] | None = None
        self.has_more_than_rooms = bool(
            contract.fnb is not None
            or contract.rental_scale is not None
            or contract.meeting_room_rental is not None
            or contract.deposits
        )
        clause = contract.attrition
        self.clause = clause if lean and clause is not None and _is_lean(contract, clause) else None
        if self.clause is not None:
            baseline = contract.rooms_after_reductions(contract.departure_date)
            rates = contract.cell_rates()
            self.baseline = [0] * len(self.nights)
            revenue = [ZERO] * len(self.nights)
            listed: list[list[Decimal]] = [[] for _ in self.nights]
            index = {night: i for i, night in enumerate(self.nights)}
            for cell, rooms in baseline.items():
                i = index[cell[0]]
                self.baseline[i] += rooms
                revenue[i] += rooms * rates[cell]
                listed[i].append(rates[cell])
            self.rates = [
                revenue[i] / self.baseline[i] if self.baseline[i] else sum(listed[i], ZERO) / len(listed[i])
                for i in range(len(self.nights))
            ]
            total = sum(self.baseline)
            self.average_rate = (
                sum(revenue, ZERO) / total if total else sum(self.rates, ZERO) / len(self.rates)
            )

    @property
    def contract(self) -> Contract:
        """The contract with room attrition alone (resale taken as none)."""
        if self._contract is None:
            update: dict[str, object] = dict(_SETTLEMENT_ONLY_ROOMS)
            clause = self.source.attrition
            if clause is not None and clause.resale_mode is not ResaleMode.NONE:
                update["attrition"] = clause.model_copy(update={"resale_mode": ResaleMode.NONE})
            self._contract = self.source.model_copy(update=update)
        return self._contract

    @property
    def whole(self) -> Contract:
        """The contract with every clause but cancellation (resale taken as none)."""
        if self._whole is None:
            update: dict[str, object] = {"cancellation": None}
            clause = self.source.attrition
            if clause is not None and clause.resale_mode is not ResaleMode.NONE:
                update["attrition"] = clause.model_copy(update={"resale_mode": ResaleMode.NONE})
            self._whole = self.source.model_copy(update=update)
        return self._whole

    def damages(self, pickup: tuple[int, ...]) -> Money:
        """Room-attrition damages for ``pickup``, one count per night of ``contract.nights``."""
        known = self._memo.get(pickup)
        if known is None:
            known = self._memo[pickup] = (
                self._lean(pickup)
                if self.clause is not None
                else assess(self.contract, self._actuals(pickup), self.contract.departure_date).total
            )
        return known

    def total(self, pickup: tuple[int, ...]) -> Money:
        """The whole total the contract would charge at departure with final pickup ``pickup``."""
        if not self.has_more_than_rooms:
            return self.damages(pickup)
        known = self._totals.get(pickup)
        if known is None:
            contract = self.whole
            actuals = self._actuals(pickup, fnb=True)
            known = self._totals[pickup] = assess(contract, actuals, contract.departure_date).total
        return known

    def fnb_spend(self, room_nights: int) -> Money | None:
        """The F&B spend projected for a final pickup of ``room_nights``: the recorded spend of the
        counted categories, or, if more, the minimum × ``fnb_spend_pct`` × attendance (final pickup /
        block), attendance being what drives catering covers."""
        clause = self.source.fnb
        if clause is None:
            return None
        currency = self.source.currency
        recorded = sum(
            (
                spend.amount.amount
                for spend in (self.recorded.fnb_spend if self.recorded else ())
                if spend.category in clause.counted_categories
            ),
            ZERO,
        )
        attendance = Decimal(room_nights) / self.block_total if self.block_total else ONE
        projected = clause.minimum.amount * fraction(self.fnb_spend_pct) * attendance
        return Money(max(recorded, projected), currency).rounded(self.source.money_rounding)

    def _actuals(self, pickup: tuple[int, ...], *, fnb: bool = False) -> Actuals:
        entries: list[PickupEntry] = []
        released: list[RoomCount] = []
        for night, count in zip(self.nights, pickup, strict=True):
            types = self.types_by_night[night]
            shares = allocate(count, [rooms for _, rooms in types])
            for (room_type, _), rooms in zip(types, shares, strict=True):
                if rooms:
                    # Every field given, so that pydantic copies no defaults (it does per entry).
                    entries.append(
                        PickupEntry.model_construct(
                            {"night", "room_type", "room_nights"},
                            night=night,
                            room_type=room_type,
                            room_nights=rooms,
                            source=PickupSource.IN_BLOCK,
                            rate=None,
                        )
                    )
                    if self.releases:
                        released.append(
                            RoomCount.model_construct(night=night, room_type=room_type, rooms=rooms)
                        )
        spend: tuple[FnbSpend, ...] = ()
        notice = None
        clause = self.source.fnb
        if fnb and clause is not None:
            recorded = self.recorded.fnb_spend if self.recorded else ()
            projected = self.fnb_spend(sum(pickup))
            assert projected is not None
            counted = sum(
                (s.amount.amount for s in recorded if s.category in clause.counted_categories), ZERO
            )
            top_up = projected.amount - counted
            spend = tuple(recorded)
            if top_up > 0:
                category = min(clause.counted_categories)
                spend += (
                    FnbSpend.model_construct(category=category, amount=Money(top_up, projected.currency)),
                )
            notice = self.recorded.fnb_notice_date if self.recorded else None
        return Actuals.model_construct(
            pickup=tuple(entries), cutoff_pickup=tuple(released), fnb_spend=spend, fnb_notice_date=notice
        )

    def night_owes(
        self, pickup: tuple[int, ...], contract: Contract
    ) -> tuple[tuple[bool, ...], tuple[int, ...]]:
        """Per night, whether ``contract`` (rooms only) charges it, and each night's baseline."""
        rooms = assess(contract, self._actuals(pickup), contract.departure_date).rooms
        found = {n.night: n for n in rooms.nights} if rooms is not None else {}
        owes = tuple(night in found and found[night].chargeable_room_nights > 0 for night in self.nights)
        baselines = tuple(found[night].baseline_room_nights if night in found else 0 for night in self.nights)
        return owes, baselines

    def _lean(self, pickup: tuple[int, ...]) -> Money:
        clause = self.clause
        assert clause is not None
        if self._lean_terms is None:
            minimums = [
                minimum_room_nights(clause.performance_pct, baseline, clause.minimum_rounding)
                for baseline in self.baseline
            ]
            total_minimum = minimum_room_nights(
                clause.performance_pct, sum(self.baseline), clause.minimum_rounding
            )
            self._lean_terms = (fraction(clause.damages_pct), minimums, total_minimum)
        d, minimums, total_minimum = self._lean_terms
        currency = self.source.currency
        rounding = self.source.money_rounding
        cliff = clause.threshold_semantics is ThresholdSemantics.CLIFF
        pass_if_equal = clause.pass_if_equal

        def shortfall(baseline: int, minimum: Decimal, credited: int) -> Decimal:
            if credited > minimum or (credited == minimum and pass_if_equal):
                return ZERO
            if cliff:
                return Decimal(max(0, baseline - credited))
            return max(ZERO, minimum - credited)

        if clause.evaluation_mode is EvaluationMode.CUMULATIVE:
            short = shortfall(sum(self.baseline), total_minimum, sum(pickup))
            if not short:
                return Money.zero(currency)  # nothing short: the cap cannot matter
            total = Money(short * self.average_rate * d, currency).rounded(rounding)
        else:
            total = Money.zero(currency)
            for baseline, minimum, credited, rate in zip(
                self.baseline, minimums, pickup, self.rates, strict=True
            ):
                short = min(shortfall(baseline, minimum, credited), Decimal(baseline))
                if short:
                    total += Money(short * rate * d, currency).rounded(rounding)
            if total.is_zero():
                return total
        cap = sum(
            (
                max(0, baseline - credited) * rate
                for baseline, credited, rate in zip(self.baseline, pickup, self.rates, strict=True)
            ),
            ZERO,
        )
        return min(total, Money(cap, currency).rounded(rounding))


def _is_lean(contract: Contract, clause: AttritionClause) -> bool:
    return (
        clause.evaluation_mode in (EvaluationMode.CUMULATIVE, EvaluationMode.PER_NIGHT)
        and clause.damage_rate_rule is DamageRateRule.CONTRACT_RATE
        and clause.baseline_mode is BaselineMode.ADJUSTED
        and clause.released_rooms_count
        and not contract.offline_rooms
        and contract.comps is None
        and contract.rebates is None
        and contract.tax_profile is None
        and "rounding" not in contract.model_fields_set  # the rounding term is assess()'s to apply
    )


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder (all to the first if none)."""
    weight = sum(weights)
    if not weight:
        return [total if index == 0 else 0 for index in range(len(weights))]
    parts = [total * w // weight for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight), i))
    for index in order[: total - sum(parts)]:
        parts[index] += 1
    return parts


def _rounded(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def forecast_exposure(
    contract: Contract,
    snapshot: PickupSnapshot,
    history: History,
    *,
    recorded: Actuals | None = None,
    with_break_even: bool = True,
) -> Exposure:
    """Forecast exposure before the event (docs/rules.md §6).

    Projects final pickup (low / expected / high per night) from ``snapshot`` and ``history`` and
    prices every scenario of the projection with the settlement engine (:func:`app.engine.assess`):
    the whole total, F&B included (``recorded`` gives the spend and notices recorded so far). The
    expected damages are the mean over the scenarios, the likely worst their 90th percentile, the
    probability the share of scenarios that owe anything. The break-even pickup follows the clause's
    evaluation mode (:class:`BreakEven`). Each reduction right still open on the snapshot's date is
    priced as if used now, down to the expected pickup and within the right's limit.
    ``with_break_even=False`` (a portfolio) leaves out the break-even and what cancelling today costs.
    """
    as_of = contract.arrival_date - timedelta(days=snapshot.days_before_arrival)
    priors = history.priors
    settlement = _Settlement(contract, as_of, recorded=recorded, fnb_spend_pct=priors.fnb_spend_pct)
    projection = _projection(settlement, snapshot, history, contract)
    scenarios = _scenarios(settlement, projection)
    outlook = _outlook(settlement, projection)
    steps = list(projection.steps)
    break_even = _break_even(settlement, projection) if with_break_even else None
    reductions = tuple(
        _reduction_option(contract, settlement, projection, right, as_of, scenarios)
        for right in contract.reduction_rights
        if right.deadline(contract.arrival_date) >= as_of
    )
    expected_rooms = scenarios[1].room_nights
    fnb = settlement.fnb_spend(expected_rooms)
    if fnb is not None:
        steps.append(say("forecast.step.fnb", spend=fnb, pct=Percent(priors.fnb_spend_pct.normalize())))
    steps.append(
        say(
            "forecast.step.outlook",
            scenarios=outlook.scenarios,
            expected=outlook.expected,
            worst=outlook.likely_worst,
            pct=Percent(outlook.probability_pct.quantize(Decimal("0.1")).normalize()),
        )
    )
    return Exposure(
        contract_id=contract.id,
        as_of=as_of,
        projection=projection,
        scenarios=scenarios,
        probability_of_damages_pct=outlook.probability_pct,
        break_even=break_even,
        reductions=reductions,
        steps=tuple(steps),
        outlook=outlook,
        cancel_today=_cancel_today(contract, as_of, recorded) if with_break_even else None,
        expected_fnb_spend=fnb,
    )


def _cancel_today(contract: Contract, as_of: date, recorded: Actuals | None) -> Money | None:
    """What the contract charges if the group's written notice of cancellation arrived on ``as_of``."""
    if contract.cancellation is None:
        return None
    base = recorded or Actuals()
    actuals = base.model_copy(update={"cancellation_notice_date": as_of})
    return assess(contract, actuals, as_of).total


@dataclass(frozen=True, slots=True)
class PickupForecast:
    """The lean forecast for a portfolio: the projection, its three scenarios and the damages outlook."""

    contract_id: str
    projection: PickupProjection
    scenarios: tuple[ScenarioDamages, ...]
    outlook: DamagesOutlook


def forecast_pickup(
    contract: Contract, snapshot: PickupSnapshot, history: History, *, recorded: Actuals | None = None
) -> PickupForecast:
    """Project final pickup and price its scenarios (docs/rules.md §6), without the break-even search or
    the reduction rights: the path for forecasting a whole portfolio."""
    settlement = _Settlement(
        contract,
        contract.arrival_date - timedelta(days=snapshot.days_before_arrival),
        recorded=recorded,
        fnb_spend_pct=history.priors.fnb_spend_pct,
    )
    projection = _projection(settlement, snapshot, history, contract)
    return PickupForecast(
        contract.id, projection, _scenarios(settlement, projection), _outlook(settlement, projection)
    )


def _projection(
    settlement: _Settlement, snapshot: PickupSnapshot, history: History, contract: Contract
) -> PickupProjection:
    block = {
        night: sum(rooms for _, rooms in settlement.types_by_night[night]) for night in settlement.nights
    }
    booked = {count.night: count.room_nights for count in snapshot.nights}
    fit = history.fit(contract.group.segment, snapshot.days_before_arrival)
    return project_pickup(block, booked, fit)


def _scenarios(settlement: _Settlement, projection: PickupProjection) -> tuple[ScenarioDamages, ...]:
    """The whole total at the low, expected and high final pickup."""
    found: list[ScenarioDamages] = []
    for name in ("low", "expected", "high"):
        pickup = tuple(_rounded(getattr(night, name)) for night in projection.nights)
        found.append(ScenarioDamages(name, sum(pickup), settlement.total(pickup)))
    return tuple(found)


def _outlook(settlement: _Settlement, projection: PickupProjection) -> DamagesOutlook:
    """Price every scenario of the projection, from the lowest pickup up.

    What the contract charges never rises with pickup (a tested property of the engine), so once a
    scenario owes nothing, every higher one owes nothing too and is not priced."""
    currency = settlement.source.currency
    values: list[Decimal] = []
    zero_from = len(projection.shocks)
    nights = [
        (n.bounds.floor, n.bounds.cap, n.bounds.expected, n.bounds.spread)
        if n.bounds is not None
        else (n.expected, n.expected, n.expected, ZERO)
        for n in projection.nights
    ]
    price = settlement.total
    for index, shock in enumerate(projection.shocks):
        pickup = tuple(
            int(min(cap, max(floor, expected + shock * spread)).to_integral_value(ROUND_HALF_UP))
            for floor, cap, expected, spread in nights
        )
        amount = price(pickup).amount
        if amount <= 0:
            zero_from = index
            break
        values.append(amount)
    count = len(projection.shocks)
    ordered = sorted(values + [ZERO] * (count - zero_from))
    mean = sum(values, ZERO) / count
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return DamagesOutlook(
        expected=Money(mean.quantize(quantum, rounding=ROUND_CEILING), currency),
        likely_worst=Money(quantile(ordered, Decimal("0.9")), currency).rounded(
            settlement.source.money_rounding
        ),
        probability_pct=Decimal(len(values)) * HUNDRED / count,
        scenarios=count,
    )


def _break_even(settlement: _Settlement, projection: PickupProjection) -> BreakEven | None:
    """The pickup at which room attrition owes nothing, by the clause's evaluation mode."""
    clause = settlement.source.attrition
    if clause is None:
        return None
    if clause.evaluation_mode in OVER_STAY_MODES:
        return _break_even_over_stay(settlement, projection)
    return _break_even_per_night(settlement, projection, clause)


def _break_even_over_stay(settlement: _Settlement, projection: PickupProjection) -> BreakEven:
    """Bisection on the total pickup (``O(log block)`` assessments, each linear in the cells): the
    room nights still needed are added to the nights in proportion to what is still open on each."""
    nights = projection.nights
    booked = [n.on_the_books for n in nights]
    open_rooms = [max(0, n.block_room_nights - n.on_the_books) for n in nights]
    blocks = [n.block_room_nights for n in nights]
    still_open = sum(open_rooms)

    def path(extra: int) -> tuple[int, ...]:
        first = allocate(min(extra, still_open), open_rooms)
        beyond = allocate(max(0, extra - still_open), blocks)
        return tuple(b + f + o for b, f, o in zip(booked, first, beyond, strict=True))

    def owes(extra: int) -> bool:
        return settlement.damages(path(extra)).amount > 0

    # Every night at or above its contracted block: the damages cap (§3.7) leaves nothing to pay.
    contracted = sum(cell.rooms for cell in settlement.source.block)
    high = still_open + max(contracted, sum(blocks)) + 1
    low = -1
    if owes(0):
        low = 0
        while high - low > 1:
            middle = (low + high) // 2
            if owes(middle):
                low = middle
            else:
                high = middle
    else:
        high = 0
    counts = path(high)
    return BreakEven(
        is_over_stay=True,
        room_nights=sum(counts),
        on_the_books=sum(booked),
        still_needed_room_nights=high,
        nights=tuple(
            NightBreakEven(n.night, n.block_room_nights, n.on_the_books, count, count - n.on_the_books)
            for n, count in zip(nights, counts, strict=True)
        ),
    )


def _break_even_per_night(
    settlement: _Settlement, projection: PickupProjection, clause: AttritionClause
) -> BreakEven:
    """Each night's smallest pickup that the engine does not charge, found for all nights at once by a
    bisection per night (``O(log block)`` assessments). A per-night test with credit is searched as a
    plain per-night test, then the pickup already above the block is counted against the short nights
    (earliest first; any split of it clears them, since the engine applies it to whatever is short)."""
    contract = settlement.contract
    if clause.evaluation_mode is EvaluationMode.PER_NIGHT_WITH_CREDIT:
        plain = contract.attrition
        assert plain is not None
        contract = contract.model_copy(
            update={"attrition": plain.model_copy(update={"evaluation_mode": EvaluationMode.PER_NIGHT})}
        )
    nights = projection.nights
    contracted: dict[date, int] = defaultdict(int)
    for cell in settlement.source.block:
        contracted[cell.night] += cell.rooms
    lows = [-1] * len(nights)
    highs = [contracted[n.night] + n.block_room_nights + 1 for n in nights]
    # A night's minimum never exceeds its contracted rooms, so this many never owes on any night.
    _, baselines = settlement.night_owes(tuple(highs), contract)
    while any(high - low > 1 for low, high in zip(lows, highs, strict=True)):
        middles = tuple(max(0, (low + high) // 2) for low, high in zip(lows, highs, strict=True))
        owes, _ = settlement.night_owes(middles, contract)
        for i, (middle, owing) in enumerate(zip(middles, owes, strict=True)):
            if highs[i] - lows[i] <= 1:
                continue
            if owing:
                lows[i] = middle
            else:
                highs[i] = middle
    needed = [max(0, high - n.on_the_books) for n, high in zip(nights, highs, strict=True)]
    if clause.evaluation_mode is EvaluationMode.PER_NIGHT_WITH_CREDIT:
        pool = sum(max(0, n.on_the_books - base) for n, base in zip(nights, baselines, strict=True))
        for i, gap in enumerate(needed):
            used = min(gap, pool)
            needed[i] -= used
            pool -= used
    return BreakEven(
        is_over_stay=False,
        room_nights=sum(highs),
        on_the_books=sum(n.on_the_books for n in nights),
        still_needed_room_nights=sum(needed),
        nights=tuple(
            NightBreakEven(n.night, n.block_room_nights, n.on_the_books, high, need)
            for n, high, need in zip(nights, highs, needed, strict=True)
        ),
    )


def _reduction_option(
    contract: Contract,
    settlement: _Settlement,
    projection: PickupProjection,
    right: ReductionRight,
    as_of: date,
    if_not_used: tuple[ScenarioDamages, ...],
) -> ReductionOption:
    name = (
        say("as_typed", text=right.name)
        if right.name
        else say("forecast.reduction.unnamed", deadline=right.deadline(contract.arrival_date))
    )
    deadline = right.deadline(contract.arrival_date)
    original = sum(cell.rooms for cell in contract.block)
    current = sum(settlement.cells.values())
    basis = original if right.basis is ReductionBasis.ORIGINAL else current
    limit = int(right.max_pct * basis / 100)
    if right.basis is ReductionBasis.ORIGINAL:
        limit -= original - current
    # Unused rooms by cell: the block less the expected pickup (rounded up), never turning guests away.
    unused: list[tuple[tuple[date, str], int]] = []
    for night in projection.nights:
        types = settlement.types_by_night[night.night]
        expected = allocate(
            int(night.expected.to_integral_value(rounding=ROUND_CEILING)), [r for _, r in types]
        )
        for (room_type, rooms), wanted in zip(types, expected, strict=True):
            unused.append(((night.night, room_type), max(0, rooms - wanted)))
    size = min(max(0, limit), sum(rooms for _, rooms in unused))
    if size == 0:
        return ReductionOption(
            name,
            deadline,
            0,
            if_not_used,
            if_not_used,
            say("forecast.reduction.nothing"),
        )
    cells = [
        {"night": night, "room_type": room_type, "rooms": rooms}
        for (night, room_type), rooms in zip(
            (key for key, _ in unused), allocate(size, [rooms for _, rooms in unused]), strict=True
        )
        if rooms
    ]
    data = contract.model_dump()
    data["reductions"] = [*data["reductions"], {"notice_date": as_of, "cells": cells}]
    try:
        reduced = Contract.model_validate(data, strict=False)
    except ValidationError as error:
        return ReductionOption(
            name,
            deadline,
            0,
            if_not_used,
            if_not_used,
            say("forecast.reduction.not_available", reason=str(error.errors()[0]["msg"])),
        )
    used = _scenarios(
        _Settlement(reduced, as_of, recorded=settlement.recorded, fnb_spend_pct=settlement.fnb_spend_pct),
        projection,
    )
    return ReductionOption(
        name,
        deadline,
        size,
        used,
        if_not_used,
        say(
            "forecast.reduction.original"
            if right.basis is ReductionBasis.ORIGINAL
            else "forecast.reduction.current",
            size=size,
            as_of=as_of,
            pct=Percent(right.max_pct),
            deadline=deadline,
        ),
    )
