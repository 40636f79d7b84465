"""Forecasting exposure before the event (domain.md §6).

The pickup projection (methods, method choice, band) is in :mod:`app.engine.projection`; this module
prices its scenarios with the settlement engine: damages per scenario, probability of damages,
break-even pickup, and each open reduction right used now or not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator

from app.engine.actuals import Actuals, PickupEntry
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
from app.engine.money import Money, fraction, pct_text
from app.engine.projection import HUNDRED, ONE, ZERO, History, PickupProjection, project_pickup, share_below


def pickup_after_wash(block_room_nights: int, wash_pcts: Iterable[Decimal]) -> Decimal:
    """Historical wash: ``F = B · (1 − wash)`` (domain.md §6).

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


# --- exposure before the event (domain.md §6) ----------------------------------------------------


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
class ReductionOption:
    """A reduction right still open: the damages if the group uses it now, and if it does not."""

    right: str
    deadline: date
    room_nights: int
    if_used: tuple[ScenarioDamages, ...]
    if_not_used: tuple[ScenarioDamages, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Exposure:
    """The forecast exposure of a contract ``days_before_arrival`` out (domain.md §6)."""

    contract_id: str
    as_of: date
    projection: PickupProjection
    scenarios: tuple[ScenarioDamages, ...]
    probability_of_damages_pct: Decimal
    break_even: tuple[NightBreakEven, ...] | None
    reductions: tuple[ReductionOption, ...]
    steps: tuple[str, ...]


_SETTLEMENT_ONLY_ROOMS = {
    "fnb": None,
    "rental_scale": None,
    "meeting_room_rental": None,
    "deposits": (),
    "cancellation": None,
}


class _Settlement:
    """Prices a final pickup per night with the settlement engine, room damages only.

    F&B spend is unknown before the event and deposits are a payment, not damages, so both are left
    out; resale credit is unknown too, so ``resale_mode`` is taken as ``none`` (the conservative
    reading). Released rooms at the cut-off are taken at the scenario's pickup.

    Common clauses (cumulative or per-night room-night tests at the contract rate, adjusted baseline,
    no off-line rooms, comps, rebates or tax) are priced by a lean path with the same formulas as
    :mod:`app.engine.attrition` (a test holds it equal to :func:`assess`); every other clause goes
    through :func:`assess` itself.
    """

    def __init__(self, contract: Contract, as_of: date, *, lean: bool = True) -> None:
        self.source = contract
        self.nights = contract.nights
        self.cells = contract.rooms_after_reductions(as_of)
        self.types_by_night: dict[date, list[tuple[str, int]]] = defaultdict(list)
        for (night, room_type), rooms in self.cells.items():
            self.types_by_night[night].append((room_type, rooms))
        self._memo: dict[tuple[int, ...], Money] = {}
        # Pickup on the cut-off date is read only by a clause under which released rooms do not count.
        self.releases = contract.attrition is not None and not contract.attrition.released_rooms_count
        self._contract: Contract | None = None
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
        if self._contract is None:
            update: dict[str, object] = dict(_SETTLEMENT_ONLY_ROOMS)
            clause = self.source.attrition
            if clause is not None and clause.resale_mode is not ResaleMode.NONE:
                update["attrition"] = clause.model_copy(update={"resale_mode": ResaleMode.NONE})
            self._contract = self.source.model_copy(update=update)
        return self._contract

    def damages(self, pickup: tuple[int, ...]) -> Money:
        """Damages for ``pickup``, one count per night of ``contract.nights``."""
        known = self._memo.get(pickup)
        if known is None:
            known = self._memo[pickup] = (
                self._lean(pickup) if self.clause is not None else self._assess(pickup)
            )
        return known

    def _assess(self, pickup: tuple[int, ...]) -> Money:
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
        actuals = Actuals.model_construct(pickup=tuple(entries), cutoff_pickup=tuple(released))
        contract = self.contract
        return assess(contract, actuals, contract.departure_date).total

    def _lean(self, pickup: tuple[int, ...]) -> Money:
        clause = self.clause
        assert clause is not None
        d = fraction(clause.damages_pct)
        currency = self.source.currency
        rounding = self.source.money_rounding

        def shortfall(baseline: int, credited: int) -> Decimal:
            minimum = minimum_room_nights(clause.performance_pct, baseline, clause.minimum_rounding)
            if credited > minimum or (credited == minimum and clause.pass_if_equal):
                return ZERO
            if clause.threshold_semantics is ThresholdSemantics.CLIFF:
                return Decimal(max(0, baseline - credited))
            return max(ZERO, minimum - credited)

        if clause.evaluation_mode is EvaluationMode.CUMULATIVE:
            short = shortfall(sum(self.baseline), sum(pickup))
            total = Money(short * self.average_rate * d, currency).rounded(rounding)
        else:
            total = Money.zero(currency)
            for baseline, credited, rate in zip(self.baseline, pickup, self.rates, strict=True):
                short = min(shortfall(baseline, credited), Decimal(baseline))
                total += Money(short * rate * d, currency).rounded(rounding)
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


def forecast_exposure(contract: Contract, snapshot: PickupSnapshot, history: History) -> Exposure:
    """Forecast exposure before the event (domain.md §6).

    Projects final pickup (low / expected / high per night) from ``snapshot`` and ``history``, prices
    each scenario with the settlement engine (:func:`app.engine.assess`), and finds along the
    forecast's own path (``expected + s · block`` per night) the smallest pickup that owes nothing:
    the break-even pickup. The probability of damages is the share of the history's scenario shocks
    (or the prior band's) that fall short of it. Each reduction right still open on the snapshot's
    date is priced as if used now, down to the expected pickup and within the right's limit.
    """
    as_of = contract.arrival_date - timedelta(days=snapshot.days_before_arrival)
    settlement = _Settlement(contract, as_of)
    projection = _projection(settlement, snapshot, history, contract)
    fit = projection.fit
    scenarios = _scenarios(settlement, projection)
    steps = list(projection.steps)
    probability, break_even = _break_even(settlement, projection)
    if break_even is None:
        steps.append("Even a full block owes damages: no pickup reaches break-even.")
    reductions = tuple(
        _reduction_option(contract, settlement, projection, right, as_of, scenarios)
        for right in contract.reduction_rights
        if right.deadline(contract.arrival_date) >= as_of
    )
    steps.append(
        f"Probability that damages are owed: {pct_text(probability.quantize(Decimal('0.1')))} "
        f"({len(projection.shocks)} {fit.band_source} scenarios)."
    )
    return Exposure(
        contract_id=contract.id,
        as_of=as_of,
        projection=projection,
        scenarios=scenarios,
        probability_of_damages_pct=probability,
        break_even=break_even,
        reductions=reductions,
        steps=tuple(steps),
    )


@dataclass(frozen=True, slots=True)
class PickupForecast:
    """The lean forecast for a portfolio: the projection and the damages of its three scenarios."""

    contract_id: str
    projection: PickupProjection
    scenarios: tuple[ScenarioDamages, ...]


def forecast_pickup(contract: Contract, snapshot: PickupSnapshot, history: History) -> PickupForecast:
    """Project final pickup and price low / expected / high (domain.md §6), without the break-even
    search or the reduction rights: the path for forecasting a whole portfolio."""
    settlement = _Settlement(contract, contract.arrival_date - timedelta(days=snapshot.days_before_arrival))
    projection = _projection(settlement, snapshot, history, contract)
    return PickupForecast(contract.id, projection, _scenarios(settlement, projection))


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
    found: list[ScenarioDamages] = []
    for name in ("low", "expected", "high"):
        pickup = tuple(_rounded(getattr(night, name)) for night in projection.nights)
        found.append(ScenarioDamages(name, sum(pickup), settlement.damages(pickup)))
    return tuple(found)


def _break_even(
    settlement: _Settlement, projection: PickupProjection
) -> tuple[Decimal, tuple[NightBreakEven, ...] | None]:
    nights = projection.nights

    def path(shock: Decimal) -> tuple[int, ...]:
        return tuple(max(0, _rounded(n.expected + shock * n.block_room_nights)) for n in nights)

    def owes(shock: Decimal) -> bool:
        return settlement.damages(path(shock)).amount > 0

    largest = max((n.block_room_nights for n in nights), default=0)
    low = -max((n.expected / n.block_room_nights for n in nights if n.block_room_nights), default=ZERO) - 1
    # High enough that every night with rooms is above its contracted block (a stricter_of baseline
    # may test the block before reductions); the damages cap (§3.7) then leaves nothing to pay.
    contracted: dict[date, int] = defaultdict(int)
    for cell in settlement.source.block:
        contracted[cell.night] += cell.rooms
    high = 2 + max(
        (Decimal(contracted[n.night]) / n.block_room_nights for n in nights if n.block_room_nights),
        default=ZERO,
    )
    if owes(high):
        return HUNDRED, None
    if not owes(low):
        high = low
    else:
        # The path moves by whole rooms every 1/block of a shock: stop below that step.
        while high - low > ONE / (4 * max(largest, 1)):
            middle = (low + high) / 2
            if owes(middle):
                low = middle
            else:
                high = middle
    counts = path(high)
    return share_below(projection.shocks, high), tuple(
        NightBreakEven(
            night=n.night,
            block_room_nights=n.block_room_nights,
            on_the_books=n.on_the_books,
            break_even_room_nights=count,
            still_needed_room_nights=max(0, count - n.on_the_books),
        )
        for n, count in zip(nights, counts, strict=True)
    )


def _reduction_option(
    contract: Contract,
    settlement: _Settlement,
    projection: PickupProjection,
    right: ReductionRight,
    as_of: date,
    if_not_used: tuple[ScenarioDamages, ...],
) -> ReductionOption:
    name = right.name or f"reduction right to {right.deadline(contract.arrival_date).isoformat()}"
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
            "Nothing to reduce: no room is expected to go unused within the right's limit.",
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
            name, deadline, 0, if_not_used, if_not_used, f"Not available: {error.errors()[0]['msg']}"
        )
    used = _scenarios(_Settlement(reduced, as_of), projection)
    return ReductionOption(
        name,
        deadline,
        size,
        used,
        if_not_used,
        f"Reducing the block by {size} room nights on {as_of.isoformat()} "
        f"({pct_text(right.max_pct)} of the {right.basis} block allowed until {deadline.isoformat()}).",
    )
