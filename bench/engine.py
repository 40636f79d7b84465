"""Engine benchmark: assessments per second, and the cost of assessing against validating from JSON.

For a 5-night × 4-room-type and a 14-night × 8-room-type contract, under a per-night and a
cumulative attrition clause, it times

* ``Contract.model_validate_json(data, strict=False)``: validating the contract from its JSON, and
* ``assess(contract, actuals, as_of)``: assessing the already-validated models,

and prints per-call times, calls per second and the ratio assess / validate. The target is a ratio
of at most 1.0: assessing costs no more than reading the contract.

Each figure is the median of several batches (``timeit`` style). The two calls are timed in
alternating batches and the ratio is the median of the per-round ratios, so that noise from other
processes on a shared machine falls on both sides of the ratio alike.

Run by hand: ``uv run python bench/engine.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pydantic

from app.engine import Actuals, Assessment, Contract, assess
from app.engine.actuals import FnbSpend, PickupEntry
from app.engine.contract import (
    AttritionClause,
    BlockCell,
    DamagesKind,
    EvaluationMode,
    FnbCategory,
    FnbClause,
    GroupInfo,
    PickupSource,
    PropertyInfo,
    Segment,
    TaxProfile,
    TaxRule,
)
from app.engine.money import Money

CURRENCY = "USD"
ARRIVAL = date(2026, 5, 10)
SIZES = ((5, 4), (14, 8))
MODES = (EvaluationMode.PER_NIGHT, EvaluationMode.CUMULATIVE)
TARGET_RATIO = 1.0


def usd(text: str) -> Money:
    return Money(Decimal(text), CURRENCY)


# --- the benchmark contract -------------------------------------------------------------------


def room_types(count: int) -> list[str]:
    names = ["king", "queen", "double", "twin", "junior suite", "suite", "accessible king", "studio"]
    return [names[i] if i < len(names) else f"type-{i + 1}" for i in range(count)]


def build_contract(nights: int, types: int, mode: EvaluationMode) -> Contract:
    """A realistic block: rooms and rates differ by room type and night (shoulder nights are smaller)."""
    names = room_types(types)
    block = []
    for n in range(nights):
        night = ARRIVAL + timedelta(days=n)
        peak = 0 < n < nights - 1  # the first and last nights are shoulder nights
        weekend = night.weekday() >= 4
        for t, name in enumerate(names):
            rooms = max(2, (60 if peak else 30) // (t + 1))
            rate = Decimal(189 + 35 * t + (20 if weekend else 0) + (15 if peak else 0)) + Decimal("0.50")
            block.append(BlockCell(night=night, room_type=name, rooms=rooms, rate=Money(rate, CURRENCY)))
    tax = TaxProfile(
        name="Example City",
        service_charge_pct=Decimal(20),
        service_charge_kinds=frozenset({DamagesKind.FNB_ATTRITION}),
        taxes=(
            TaxRule(name="Sales tax", rate_pct=Decimal("8.875"), kinds=frozenset(DamagesKind)),
            TaxRule(
                name="Occupancy tax",
                rate_pct=Decimal("5.875"),
                kinds=frozenset({DamagesKind.ROOM_ATTRITION}),
                on_service_charge=False,
            ),
        ),
    )
    return Contract(
        id=f"bench-{nights}x{types}-{mode.value.replace('_', '-')}",
        name=f"Benchmark {nights} nights × {types} room types ({mode.value})",
        property=PropertyInfo(name="Hotel Example", address="1 Example Plaza", locale="en", tax_profile=tax),
        group=GroupInfo(name="Example Association", account="EX-1", segment=Segment.ASSOCIATION),
        currency=CURRENCY,
        arrival_date=ARRIVAL,
        departure_date=ARRIVAL + timedelta(days=nights),
        signed_date=ARRIVAL - timedelta(days=300),
        cutoff_date=ARRIVAL - timedelta(days=30),
        block=tuple(block),
        attrition=AttritionClause(performance_pct=Decimal(80), damages_pct=Decimal(80), evaluation_mode=mode),
        fnb=FnbClause(minimum=usd("25000.00"), allowance_pct=Decimal(10)),
    )


def build_actuals(contract: Contract) -> Actuals:
    """Pickup of about 70 % of each cell, mostly in the block and some booked outside it."""
    pickup = []
    for index, cell in enumerate(contract.block):
        used = cell.rooms * (62 + index % 17) // 100
        outside = used // 5
        pickup.append(PickupEntry(night=cell.night, room_type=cell.room_type, room_nights=used - outside))
        if outside:
            pickup.append(
                PickupEntry(
                    night=cell.night,
                    room_type=cell.room_type,
                    room_nights=outside,
                    source=PickupSource.OUTSIDE_BLOCK,
                    rate=cell.rate - usd("20.00"),
                )
            )
    return Actuals(
        pickup=tuple(pickup),
        fnb_spend=(
            FnbSpend(category=FnbCategory.BANQUET_FOOD, amount=usd("14250.00")),
            FnbSpend(category=FnbCategory.BANQUET_BEVERAGE, amount=usd("3180.50")),
            FnbSpend(category=FnbCategory.BARS, amount=usd("2210.00")),
        ),
    )


# --- timing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    repeats: int
    batch_seconds: float


@dataclass(frozen=True)
class Row:
    size: str
    mode: str
    cells: int
    json_bytes: int
    validate_us: float
    assess_us: float
    ratio: float
    ratio_low: float
    ratio_high: float
    total: Money
    lines: int
    fresh_ratio: float


def calls_per_batch(func: Callable[[], object], seconds: float) -> int:
    """The number of calls that takes about ``seconds`` (like ``Timer.autorange``, but finer)."""
    timer = timeit.Timer(func)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= seconds / 10:
            return max(1, round(number * seconds / elapsed))
        number *= 10


def measure(
    validate: Callable[[], object], run: Callable[[], object], settings: Settings
) -> tuple[float, float, list[float]]:
    """Median µs per call of each, and the per-round ratios run / validate."""
    n_validate = calls_per_batch(validate, settings.batch_seconds)
    n_run = calls_per_batch(run, settings.batch_seconds)
    timers = timeit.Timer(validate), timeit.Timer(run)
    validate_us: list[float] = []
    run_us: list[float] = []
    for _ in range(settings.repeats):
        validate_us.append(timers[0].timeit(n_validate) / n_validate * 1e6)
        run_us.append(timers[1].timeit(n_run) / n_run * 1e6)
    ratios = [r / v for r, v in zip(run_us, validate_us, strict=True)]
    return statistics.median(validate_us), statistics.median(run_us), ratios


def bench_case(nights: int, types: int, mode: EvaluationMode, settings: Settings) -> Row:
    built = build_contract(nights, types, mode)
    data = built.model_dump_json().encode()
    contract = Contract.model_validate_json(data, strict=False)
    if contract != built:
        raise SystemExit(f"{built.id}: the contract does not round-trip through JSON")
    actuals = build_actuals(contract)
    as_of = contract.departure_date + timedelta(days=3)
    result: Assessment = assess(contract, actuals, as_of)
    if result.total.is_zero() or result.rooms is None or result.rooms.is_passed:
        raise SystemExit(f"{built.id}: the assessment is zero or passes; the bench would measure no work")
    validate_us, assess_us, ratios = measure(
        lambda: Contract.model_validate_json(data, strict=False),
        lambda: assess(contract, actuals, as_of),
        settings,
    )
    # The engine keeps contract-only work with the frozen contract, so the timings above (one contract
    # assessed again and again, as the forecast does) pay it once. A request that loads its contract
    # pays it every time: ``model_copy`` drops what was kept, so this is that first-assessment cost.
    _, _, fresh_ratios = measure(
        lambda: Contract.model_validate_json(data, strict=False),
        lambda: assess(contract.model_copy(), actuals, as_of),
        settings,
    )
    return Row(
        size=f"{nights}×{types}",
        mode=mode.value,
        cells=len(contract.block),
        json_bytes=len(data),
        validate_us=validate_us,
        assess_us=assess_us,
        ratio=statistics.median(ratios),
        ratio_low=min(ratios),
        ratio_high=max(ratios),
        total=result.total,
        lines=len(result.lines),
        fresh_ratio=statistics.median(fresh_ratios),
    )


# --- report -----------------------------------------------------------------------------------


def print_table(rows: list[Row], settings: Settings) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"Python {platform.python_version()}, pydantic {pydantic.VERSION}, {os.cpu_count()} CPUs, "
        f"load average {load}"
    )
    print(f"each figure: median over {settings.repeats} alternating batches of ~{settings.batch_seconds:g} s")
    print()
    header = (
        f"{'contract':<8} {'mode':<10} {'cells':>5} {'JSON B':>6} "
        f"{'validate µs':>11} {'validate/s':>10} {'assess µs':>9} {'assess/s':>8} "
        f"{'ratio':>5} {'(min–max)':>11} {'fresh':>5} {'lines':>5} {'total':>14}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.size:<8} {row.mode:<10} {row.cells:>5} {row.json_bytes:>6} "
            f"{row.validate_us:>11.0f} {1e6 / row.validate_us:>10,.0f} "
            f"{row.assess_us:>9.0f} {1e6 / row.assess_us:>8,.0f} "
            f"{row.ratio:>5.2f} {f'({row.ratio_low:.2f}–{row.ratio_high:.2f})':>11} "
            f"{row.fresh_ratio:>5.2f} {row.lines:>5} {row.total.text():>14}"
        )
    print()
    print("ratio = assess ÷ validate the same contract from JSON: median (and range) of per-batch ratios")
    print("fresh = the same ratio when each assessment gets a fresh copy of the contract (nothing kept)")
    print("total = the assessment total as of 3 days after departure, checked non-zero (real work)")
    worst = max(rows, key=lambda row: row.ratio)
    verdict = "met" if worst.ratio <= TARGET_RATIO else "NOT met"
    print(
        f"target ratio ≤ {TARGET_RATIO:.1f}: {verdict} (worst {worst.ratio:.2f}, {worst.size} {worst.mode})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run: 3 batches of ~0.05 s")
    args = parser.parse_args(argv)
    settings = Settings(repeats=3, batch_seconds=0.05) if args.quick else Settings(7, 0.2)
    rows = [bench_case(n, t, mode, settings) for n, t in SIZES for mode in MODES]
    print_table(rows, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
