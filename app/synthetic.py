"""A synthetic history of group blocks, for tests, demos and the forecast benchmark (docs/rules.md §6).

Seeded (``random.Random(seed)``): the same seed gives the same history. The parameters below are
documented assumptions, chosen to look like group business as revenue-management material describes
it; they are not measured data.

* **Segments** (share of blocks): association 30 %, corporate 30 %, SMERF 15 %, wedding 10 %,
  government 5 %, incentive 5 %, other 5 %.
* **Block size**: 1-5 nights (2-3 most common); the peak night holds a log-normal number of rooms
  (median 60, σ 0.7, between 10 and 500); the first and last nights of a stay of 3 or more are
  shoulder nights at 60 % of the peak.
* **Wash** (share of the block not used at the end) by segment: mean ``SEGMENTS[s].wash``, normal
  spread ``wash_sd`` (5-12 points), clamped to [-5 %, 90 %] (a block can slightly over-perform).
* **Booking curve** by segment: the share of the final pickup on the books ``t`` days out
  (``BOOKING_CURVES``), the same curves as the default priors (app/forecast_priors.yaml).
* **Noise**: a block runs ahead of or behind its segment's pace for its whole life: on the books at
  ``t`` is ``final · curve(t) · exp(σ(t)·z + ε)`` with one ``z ~ N(0, 1)`` per block and a small
  independent ``ε ~ N(0, σ(t)/3)`` per snapshot. ``σ(t)`` shrinks toward arrival: 0.30 at 90 days,
  0.24 at 60, 0.16 at 30, 0.10 at 14, 0.03 on arrival (docs/rules.md §6 band: ±40 % → ±10-15 %).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.engine.contract import (
    AttritionClause,
    BlockCell,
    Contract,
    GroupInfo,
    PropertyInfo,
    Segment,
)
from app.engine.forecast import NightCount, PickupSnapshot
from app.engine.money import Money
from app.engine.projection import HistoricalBlock, OnTheBooks

#: Lead times (days before arrival) at which each synthetic block has a snapshot.
LEAD_TIMES = (180, 90, 60, 45, 30, 21, 14, 7, 0)

#: Share of the final pickup on the books by lead time (pct), by segment; as app/forecast_priors.yaml.
BOOKING_CURVES: dict[Segment, dict[int, float]] = {
    Segment.ASSOCIATION: {180: 25, 90: 45, 60: 60, 30: 80, 14: 92, 0: 103},
    Segment.CORPORATE: {180: 10, 90: 25, 60: 40, 30: 65, 14: 85, 0: 102},
    Segment.SMERF: {180: 15, 90: 35, 60: 50, 30: 72, 14: 88, 0: 103},
    Segment.WEDDING: {180: 40, 90: 65, 60: 75, 30: 90, 14: 96, 0: 101},
    Segment.GOVERNMENT: {180: 25, 90: 45, 60: 60, 30: 80, 14: 92, 0: 103},
    Segment.INCENTIVE: {180: 60, 90: 80, 60: 88, 30: 95, 14: 98, 0: 100},
    Segment.OTHER: {180: 25, 90: 45, 60: 60, 30: 80, 14: 92, 0: 103},
}

#: σ(t) of the log pace noise by lead time (linear between points).
PACE_SIGMA: dict[int, float] = {180: 0.40, 90: 0.30, 60: 0.24, 30: 0.16, 14: 0.10, 0: 0.03}


@dataclass(frozen=True, slots=True)
class SegmentMix:
    share: float
    wash: float
    wash_sd: float


SEGMENTS: dict[Segment, SegmentMix] = {
    Segment.ASSOCIATION: SegmentMix(0.30, 0.15, 0.08),
    Segment.CORPORATE: SegmentMix(0.30, 0.20, 0.10),
    Segment.SMERF: SegmentMix(0.15, 0.12, 0.08),
    Segment.WEDDING: SegmentMix(0.10, 0.25, 0.12),
    Segment.GOVERNMENT: SegmentMix(0.05, 0.15, 0.08),
    Segment.INCENTIVE: SegmentMix(0.05, 0.05, 0.05),
    Segment.OTHER: SegmentMix(0.05, 0.15, 0.10),
}
NIGHTS_WEIGHTS = {1: 10, 2: 30, 3: 35, 4: 15, 5: 10}


def _curve(points: dict[int, float], days: int) -> float:
    ordered = sorted(points.items())
    if days <= ordered[0][0]:
        return ordered[0][1]
    for (near_days, near), (far_days, far) in itertools.pairwise(ordered):
        if days <= far_days:
            return near + (far - near) * (days - near_days) / (far_days - near_days)
    return ordered[-1][1]


@dataclass(frozen=True, slots=True)
class SyntheticBlock:
    """One generated block: rooms per night, on the books per night by lead time, final per night."""

    id: str
    segment: Segment
    rooms: tuple[int, ...]
    final: tuple[int, ...]
    on_the_books: dict[int, tuple[int, ...]]

    def historical(self) -> HistoricalBlock:
        return HistoricalBlock(
            id=self.id,
            segment=self.segment,
            block_room_nights=sum(self.rooms),
            final_room_nights=sum(self.final),
            on_the_books=tuple(
                OnTheBooks(days_before_arrival=days, room_nights=sum(counts))
                for days, counts in sorted(self.on_the_books.items(), reverse=True)
            ),
        )


class SyntheticHistory:
    """Generates blocks from one seeded random source."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.count = 0

    def segment(self) -> Segment:
        segments = list(SEGMENTS)
        return self.random.choices(segments, weights=[SEGMENTS[s].share for s in segments])[0]

    def block(self, segment: Segment | None = None) -> SyntheticBlock:
        rng = self.random
        self.count += 1
        segment = segment or self.segment()
        mix = SEGMENTS[segment]
        nights = rng.choices(list(NIGHTS_WEIGHTS), weights=list(NIGHTS_WEIGHTS.values()))[0]
        peak = min(500, max(10, round(60 * math.exp(rng.gauss(0, 0.7)))))
        rooms = tuple(
            max(1, round(peak * 0.6)) if nights >= 3 and n in (0, nights - 1) else peak for n in range(nights)
        )
        wash = min(0.9, max(-0.05, rng.gauss(mix.wash, mix.wash_sd)))
        final = tuple(max(0, round(r * (1 - wash) * math.exp(rng.gauss(0, 0.03)))) for r in rooms)
        pace = rng.gauss(0, 1)
        on_the_books: dict[int, tuple[int, ...]] = {}
        for days in LEAD_TIMES:
            sigma = _curve(PACE_SIGMA, days)
            share = _curve(BOOKING_CURVES[segment], days) / 100
            noise = math.exp(sigma * pace + rng.gauss(0, sigma / 3))
            on_the_books[days] = tuple(
                min(round(r * 1.1), max(0, round(f * share * noise)))
                for r, f in zip(rooms, final, strict=True)
            )
        return SyntheticBlock(f"synthetic-{self.count}", segment, rooms, final, on_the_books)

    def history(self, count: int) -> list[HistoricalBlock]:
        return [self.block().historical() for _ in range(count)]


def synthetic_history(count: int, seed: int) -> list[HistoricalBlock]:
    """``count`` comparable blocks with snapshots at :data:`LEAD_TIMES` and their final pickup."""
    return SyntheticHistory(seed).history(count)


def synthetic_portfolio(
    count: int, seed: int, days_before_arrival: int = 30, arrival: date = date(2026, 9, 14)
) -> list[tuple[Contract, PickupSnapshot]]:
    """``count`` contracts (80 % cumulative attrition, 80 % damages, USD 189.00) and their snapshots."""
    generator = SyntheticHistory(seed)
    portfolio: list[tuple[Contract, PickupSnapshot]] = []
    days = min(LEAD_TIMES, key=lambda lead: abs(lead - days_before_arrival))
    for index in range(count):
        block = generator.block()
        nights = [arrival + timedelta(days=n) for n in range(len(block.rooms))]
        contract = Contract(
            id=f"portfolio-{index + 1}",
            property=PropertyInfo(name="Synthetic Hotel"),
            group=GroupInfo(name=f"Group {index + 1}", segment=block.segment),
            currency="USD",
            arrival_date=arrival,
            departure_date=arrival + timedelta(days=len(block.rooms)),
            block=tuple(
                BlockCell(
                    night=night, room_type="run of house", rooms=rooms, rate=Money(Decimal("189.00"), "USD")
                )
                for night, rooms in zip(nights, block.rooms, strict=True)
            ),
            attrition=AttritionClause(performance_pct=Decimal(80), damages_pct=Decimal(80)),
        )
        snapshot = PickupSnapshot(
            days_before_arrival=days,
            nights=tuple(
                NightCount(night=night, room_nights=booked)
                for night, booked in zip(nights, block.on_the_books[days], strict=True)
            ),
        )
        portfolio.append((contract, snapshot))
    return portfolio
