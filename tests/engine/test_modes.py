"""Room-block attrition: every mode and term, each figure worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.engine import LineKind
from app.engine.contract import PickupSource

from .builders import Case, cells, check, night, pickup, run, usd

RN = LineKind.ROOM_ATTRITION
CAP = LineKind.DAMAGES_CAP
RESALE = LineKind.RESALE_CREDIT

#: One night with two room types: 10 rooms at 100 and 10 at 300 (block-weighted average 200).
MIXED = cells(10, rate="100.00") + cells(10, rate="300.00", room_type="S")
#: Three nights of 50 at 100, 300 and 200 (nights 0, 1, 2).
THREE_RATES = cells(50, rate="100.00") + cells(50, rate="300.00", first=1) + cells(50, rate="200.00", first=2)
WITH_CREDIT = {"performance_pct": 80, "evaluation_mode": "per_night_with_credit"}


def mixed_pickup(k: int, s: int) -> list[dict[str, object]]:
    return pickup(k) + pickup(s, room_type="S")


EVALUATION_CASES = [
    pytest.param(
        # Minimum 0.8 × 20 = 16, pickup 8 → 8 short at the block-weighted rate (10·100 + 10·300)/20 = 200.
        Case(MIXED, {"attrition": {"performance_pct": 80}}, {"pickup": mixed_pickup(8, 0)}, "1600.00"),
        id="cumulative-block-weighted-rate",
    ),
    pytest.param(
        # Minimum 40 a night; nights 0 and 1 are 10 short; night 2 is 10 above its block.
        # Highest rate first: the 10 go to night 1 (300) → night 0 pays 10 × 100.
        Case(
            THREE_RATES,
            {"attrition": WITH_CREDIT},
            {"pickup": pickup(30, 30, 60)},
            "1000.00",
            nights={night(0): "1000.00", night(1): "0.00", night(2): "0.00"},
        ),
        id="per-night-with-credit-highest-rate-first",
    ),
    pytest.param(
        # Chronological: the 10 go to night 0 → night 1 pays 10 × 300.
        Case(
            THREE_RATES,
            {"attrition": {**WITH_CREDIT, "credit_allocation": "chronological"}},
            {"pickup": pickup(30, 30, 60)},
            "3000.00",
            nights={night(0): "0.00", night(1): "3000.00", night(2): "0.00"},
        ),
        id="per-night-with-credit-chronological",
    ),
    pytest.param(
        # Pro rata: deficits 10 and 10 share 10 → 5 each → 5 × 100 + 5 × 300.
        Case(
            THREE_RATES,
            {"attrition": {**WITH_CREDIT, "credit_allocation": "pro_rata"}},
            {"pickup": pickup(30, 30, 60)},
            "2000.00",
            nights={night(0): "500.00", night(1): "1500.00", night(2): "0.00"},
        ),
        id="per-night-with-credit-pro-rata",
    ),
    pytest.param(
        # Pro rata of 7: 3.5 each → largest remainder, tie to the earlier night: 4 and 3.
        # Night 0: (10 − 4) × 100 = 600; night 1: (10 − 3) × 300 = 2,100.
        Case(
            THREE_RATES,
            {"attrition": {**WITH_CREDIT, "credit_allocation": "pro_rata"}},
            {"pickup": pickup(30, 30, 57)},
            "2700.00",
            nights={night(0): "600.00", night(1): "2100.00", night(2): "0.00"},
        ),
        id="per-night-with-credit-pro-rata-largest-remainder",
    ),
    pytest.param(
        # Exact minimums keep fractions: 3.5 each → 6.5 × 100 + 6.5 × 300.
        Case(
            THREE_RATES,
            {"attrition": {**WITH_CREDIT, "credit_allocation": "pro_rata", "minimum_rounding": "exact"}},
            {"pickup": pickup(30, 30, 57)},
            "2600.00",
            nights={night(0): "650.00", night(1): "1950.00", night(2): "0.00"},
        ),
        id="per-night-with-credit-pro-rata-exact",
    ),
    pytest.param(
        # Pro rata with enough pool (25 ≥ 10 + 10): every short night is made whole.
        Case(
            THREE_RATES,
            {"attrition": {**WITH_CREDIT, "credit_allocation": "pro_rata"}},
            {"pickup": pickup(30, 30, 75)},
            "0.00",
        ),
        id="per-night-with-credit-pro-rata-pool-covers-all",
    ),
    pytest.param(
        # Three shoulder nights join the pool: 35 + 3 = 38 against a minimum of 40 → 2 × 200.
        Case(
            cells(50),
            {"attrition": WITH_CREDIT},
            {"pickup": pickup(35) + pickup(3, first=-1, source="shoulder")},
            "400.00",
        ),
        id="per-night-with-credit-shoulder-nights-join-the-pool",
    ),
    pytest.param(
        # Cliff, equality fails: night 0 at exactly 40 fails, but one room night above the block
        # on night 1 lifts it to 41 → nothing owed.
        Case(
            cells(50, 50),
            {"attrition": {**WITH_CREDIT, "pass_if_equal": False, "threshold_semantics": "cliff"}},
            {"pickup": pickup(40, 51)},
            "0.00",
        ),
        id="per-night-with-credit-lifts-a-night-at-the-minimum",
    ),
    pytest.param(
        # Same without pickup above the block: night 0 fails at 40 → cliff 50 − 40 = 10 × 200.
        Case(
            cells(50, 50),
            {"attrition": {**WITH_CREDIT, "pass_if_equal": False, "threshold_semantics": "cliff"}},
            {"pickup": pickup(40, 50)},
            "2000.00",
        ),
        id="per-night-with-credit-no-pool-at-the-minimum",
    ),
    pytest.param(
        # Deductible, equality fails: night 1 (300) sits exactly at its minimum of 40 and owes nothing
        # anyway, so the one room night above the block (night 2) goes to night 0, 1 short → 0.
        Case(
            THREE_RATES,
            {"attrition": {**WITH_CREDIT, "pass_if_equal": False}},
            {"pickup": pickup(39, 40, 51)},
            "0.00",
        ),
        id="per-night-with-credit-deductible-skips-a-night-at-the-minimum",
    ),
    pytest.param(
        # Cliff, equality fails: a night passes only above its minimum of 40. Of the 10 pooled from
        # night 2, night 1 (at 40) needs 1 and night 0 (at 35) needs 6, not 5 (at 40 it would fail
        # and pay 10 × 100) → both reach 41 → 0.
        Case(
            THREE_RATES,
            {"attrition": {**WITH_CREDIT, "pass_if_equal": False, "threshold_semantics": "cliff"}},
            {"pickup": pickup(35, 40, 60)},
            "0.00",
        ),
        id="per-night-with-credit-cliff-lifts-above-the-minimum",
    ),
    pytest.param(
        # Peak night 1 (100 rooms): minimum 80, pickup 70 → 10 × 200; the short shoulders are not tested.
        Case(
            cells(50, 100, 50),
            {"attrition": {"performance_pct": 80, "evaluation_mode": "peak_night"}},
            {"pickup": pickup(10, 70, 10)},
            "2000.00",
            nights={night(1): "2000.00"},
        ),
        id="peak-night",
    ),
    pytest.param(
        # Two nights tie at 100: the earlier is the peak night → 80 − 70 = 10 × 200.
        Case(
            cells(100, 100),
            {"attrition": {"performance_pct": 80, "evaluation_mode": "peak_night"}},
            {"pickup": pickup(70, 100)},
            "2000.00",
            nights={night(0): "2000.00"},
        ),
        id="peak-night-tie-goes-to-the-earlier-night",
    ),
    pytest.param(
        # Blocked revenue 10 × 100 + 10 × 300 = 4,000; minimum 3,200; pickup 10 × 100 + 5 × 300 = 2,500
        # → 700 short × 100 %.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "revenue"}},
            {"pickup": mixed_pickup(10, 5)},
            "700.00",
        ),
        id="revenue",
    ),
    pytest.param(
        # 16 room nights pass the room-night test (minimum 16) but revenue 1,000 + 1,800 = 2,800 fails:
        # 400 × 80 %.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "damages_pct": 80, "evaluation_mode": "revenue"}},
            {"pickup": mixed_pickup(10, 6)},
            "320.00",
        ),
        id="revenue-mixed-types-pass-in-room-nights-fail-in-revenue",
    ),
    pytest.param(
        # Cliff: all unused blocked revenue 4,000 − 2,800 = 1,200; cap 4 unused × 200 = 800.
        Case(
            MIXED,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "revenue",
                    "threshold_semantics": "cliff",
                }
            },
            {"pickup": mixed_pickup(10, 6)},
            "800.00",
            lines={RN: "1200.00", CAP: "-400.00"},
        ),
        id="revenue-cliff-capped",
    ),
    pytest.param(
        # Suites paid at 250: revenue 1,000 + 8 × 250 = 3,000 < 3,200 → 200 owed.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "revenue"}},
            {"pickup": pickup(10) + pickup(8, room_type="S", rate="250.00")},
            "200.00",
        ),
        id="revenue-at-the-rate-paid",
    ),
    pytest.param(
        # A priced shoulder night counts: 2,500 + 2 × 100 = 2,700 → 500 short.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "revenue"}},
            {"pickup": mixed_pickup(10, 5) + pickup(2, first=-1, source="shoulder", rate="100.00")},
            "500.00",
        ),
        id="revenue-priced-shoulder-night",
    ),
    pytest.param(
        # A shoulder night without a rate adds no revenue, and a warning says so: 700 short.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "revenue"}},
            {"pickup": mixed_pickup(10, 5) + pickup(2, first=-1, source="shoulder")},
            "700.00",
            warnings=("2 room nights were reported without a rate",),
        ),
        id="revenue-unpriced-shoulder-night-warns",
    ),
    pytest.param(
        # Revenue 3,200 is exactly the minimum: passes.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "revenue"}},
            {"pickup": mixed_pickup(8, 8)},
            "0.00",
        ),
        id="revenue-at-the-minimum-passes",
    ),
    pytest.param(
        # Room nights 16 pass; revenue 2,800 fails: greater of → nothing owed.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "greater_of"}},
            {"pickup": mixed_pickup(10, 6)},
            "0.00",
        ),
        id="greater-of-room-nights-pass",
    ),
    pytest.param(
        # 11 suites: 11 RN < 16 fails; revenue 3,300 ≥ 3,200 passes → nothing owed.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "greater_of"}},
            {"pickup": mixed_pickup(0, 11)},
            "0.00",
        ),
        id="greater-of-revenue-passes",
    ),
    pytest.param(
        # 8 K + 4 S: rooms 16 − 12 = 4 × 200 = 800; revenue 3,200 − 2,000 = 1,200; lesser → 800.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "greater_of"}},
            {"pickup": mixed_pickup(8, 4)},
            "800.00",
        ),
        id="greater-of-both-fail-lesser-is-rooms",
    ),
    pytest.param(
        # 2 K + 8 S: rooms 6 × 200 = 1,200; revenue 3,200 − 2,600 = 600; lesser → 600.
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "greater_of"}},
            {"pickup": mixed_pickup(2, 8)},
            "600.00",
        ),
        id="greater-of-both-fail-lesser-is-revenue",
    ),
    pytest.param(
        # 2 K + 8 S, room-night damages chosen: 6 × 200.
        Case(
            MIXED,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "greater_of",
                    "greater_of_charge": "room_nights",
                }
            },
            {"pickup": mixed_pickup(2, 8)},
            "1200.00",
        ),
        id="greater-of-both-fail-room-night-damages",
    ),
    pytest.param(
        # 8 K + 4 S, revenue damages chosen: 3,200 − 2,000 = 1,200.
        Case(
            MIXED,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "greater_of",
                    "greater_of_charge": "revenue",
                }
            },
            {"pickup": mixed_pickup(8, 4)},
            "1200.00",
        ),
        id="greater-of-both-fail-revenue-damages",
    ),
    pytest.param(
        # 100 × 200 = 20,000 blocked; pickup 80 % falls in [70, 85) → 17 % = 3,400.
        Case(
            cells(100),
            {
                "attrition": {
                    "performance_pct": 85,
                    "evaluation_mode": "tiered",
                    "tiers": [
                        {"from_pct": 0, "to_pct": 70, "damages_pct": 30},
                        {"from_pct": 70, "to_pct": 85, "damages_pct": 17},
                        {"from_pct": 85, "damages_pct": 0},
                    ],
                }
            },
            {"pickup": pickup(80)},
            "3400.00",
        ),
        id="tiered-17-pct",
    ),
    pytest.param(
        # 85 % is the first pickup of the top tier → 0 %.
        Case(
            cells(100),
            {
                "attrition": {
                    "performance_pct": 85,
                    "evaluation_mode": "tiered",
                    "tiers": [
                        {"from_pct": 0, "to_pct": 70, "damages_pct": 30},
                        {"from_pct": 70, "to_pct": 85, "damages_pct": 17},
                        {"from_pct": 85, "damages_pct": 0},
                    ],
                }
            },
            {"pickup": pickup(85)},
            "0.00",
        ),
        id="tiered-top-tier-owes-nothing",
    ),
    pytest.param(
        # 50 % of 20,000 = 10,000, but 20 unused × 200 = 4,000 caps it: cap line −6,000.
        Case(
            cells(100),
            {
                "attrition": {
                    "performance_pct": 85,
                    "evaluation_mode": "tiered",
                    "tiers": [
                        {"from_pct": 0, "to_pct": 85, "damages_pct": 50},
                        {"from_pct": 85, "damages_pct": 0},
                    ],
                }
            },
            {"pickup": pickup(80)},
            "4000.00",
            lines={RN: "10000.00", CAP: "-6000.00"},
        ),
        id="tiered-capped-at-unused-revenue",
    ),
]


@pytest.mark.parametrize("case", EVALUATION_CASES)
def test_evaluation_mode_charges_what_the_clause_says(case: Case) -> None:
    check(case)


THRESHOLD_CASES = [
    pytest.param(
        # Per night, cliff: night 3 at 60 < 80 pays every unused room, 100 − 60 = 40 × 150.
        Case(
            cells(100, 100, 100, rate="150.00"),
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "per_night",
                    "threshold_semantics": "cliff",
                }
            },
            {"pickup": pickup(95, 85, 60)},
            "6000.00",
        ),
        id="per-night-cliff",
    ),
    pytest.param(
        # 240 of 300 is exactly the minimum: it passes by default.
        Case(
            cells(100, 100, 100, rate="150.00"),
            {"attrition": {"performance_pct": 80, "threshold_semantics": "cliff"}},
            {"pickup": pickup(95, 85, 60)},
            "0.00",
        ),
        id="cliff-at-the-minimum-passes",
    ),
    pytest.param(
        # pass_if_equal false: 240 at the minimum fails → cliff 300 − 240 = 60 × 150.
        Case(
            cells(100, 100, 100, rate="150.00"),
            {"attrition": {"performance_pct": 80, "threshold_semantics": "cliff", "pass_if_equal": False}},
            {"pickup": pickup(95, 85, 60)},
            "9000.00",
        ),
        id="cliff-at-the-minimum-fails-without-pass-if-equal",
    ),
    pytest.param(
        # Deductible at the minimum with pass_if_equal false: minimum − pickup = 0 room nights.
        Case(
            cells(100, 100, 100, rate="150.00"),
            {"attrition": {"performance_pct": 80, "pass_if_equal": False}},
            {"pickup": pickup(95, 85, 60)},
            "0.00",
        ),
        id="deductible-at-the-minimum-owes-nothing",
    ),
]


@pytest.mark.parametrize("case", THRESHOLD_CASES)
def test_threshold_semantics_decide_the_room_nights_charged(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    ("performance_pct", "rounding", "minimum", "total"),
    [
        # 0.85 × 50 = 42.5; pickup 38.
        pytest.param(85, "ceil", Decimal(43), "500.00", id="ceil-42.5-to-43"),
        pytest.param(85, "floor", Decimal(42), "400.00", id="floor-42.5-to-42"),
        pytest.param(85, "half_up", Decimal(43), "500.00", id="half-up-42.5-to-43"),
        pytest.param("84.6", "half_up", Decimal(42), "400.00", id="half-up-42.3-to-42"),
        pytest.param("84.6", "ceil", Decimal(43), "500.00", id="ceil-42.3-to-43"),
        pytest.param(85, "exact", Decimal("42.5"), "450.00", id="exact-keeps-42.5"),
    ],
)
def test_minimum_rounding_decides_the_minimum(
    performance_pct: object, rounding: str, minimum: Decimal, total: str
) -> None:
    case = Case(
        cells(50, rate="100.00"),
        {"attrition": {"performance_pct": performance_pct, "minimum_rounding": rounding}},
        {"pickup": pickup(38)},
        total,
    )
    result = check(case)
    assert result.rooms is not None
    assert result.rooms.minimum_room_nights == minimum


# Two nights of 50 at 200; the group reduced 10 a night (20 of 100, within a 20 % right).
REDUCED = {
    "reduction_rights": [{"until_date": "2025-02-01", "max_pct": 20}],
    "reductions": [
        {
            "notice_date": "2025-01-15",
            "cells": [
                {"night": night(0), "room_type": "K", "rooms": 10},
                {"night": night(1), "room_type": "K", "rooms": 10},
            ],
        }
    ],
}


@pytest.mark.parametrize(
    ("baseline_mode", "pickup_rooms", "total", "baseline"),
    [
        # Adjusted: 0.8 × 80 = 64 − 60 = 4 × 200.
        pytest.param("adjusted", 30, "800.00", 80, id="adjusted"),
        # Original: 0.8 × 100 = 80 − 60 = 20 × 200.
        pytest.param("original", 30, "4000.00", 100, id="original"),
        # Stricter of: the larger, 4,000 on the original block.
        pytest.param("stricter_of", 30, "4000.00", 100, id="stricter-of-takes-the-original"),
        # Both pass: the tie keeps the adjusted block.
        pytest.param("stricter_of", 45, "0.00", 80, id="stricter-of-tie-keeps-adjusted"),
    ],
)
def test_baseline_mode_picks_the_block_tested(
    baseline_mode: str, pickup_rooms: int, total: str, baseline: int
) -> None:
    case = Case(
        cells(50, 50),
        {**REDUCED, "attrition": {"performance_pct": 80, "baseline_mode": baseline_mode}},
        {"pickup": pickup(pickup_rooms, pickup_rooms)},
        total,
    )
    result = check(case)
    assert result.rooms is not None
    assert result.rooms.baseline_room_nights == baseline
    assert result.rooms.original_room_nights == 100


def test_stricter_of_notes_the_other_baseline_in_the_working() -> None:
    case = Case(
        cells(50, 50),
        {**REDUCED, "attrition": {"performance_pct": 80, "baseline_mode": "stricter_of"}},
        {"pickup": pickup(30, 30)},
        "4000.00",
    )
    first = run(case).lines[0]
    assert first.steps[-1] == (
        "Stricter of: the test on the block after valid reductions gives 800.00 USD; "
        "the larger amount applies."
    )


def test_reduction_notified_after_as_of_is_not_applied_and_the_result_is_provisional() -> None:
    # As of 2025-01-10 the reduction of 2025-01-15 has not happened: baseline 100, minimum 80,
    # pickup so far 60 → 20 × 200.
    case = Case(
        cells(50, 50),
        {**REDUCED, "attrition": {"performance_pct": 80}},
        {"pickup": pickup(30, 30)},
        "4000.00",
        as_of=date(2025, 1, 10),
        warnings=(
            "The reduction notified 2025-01-15 is after 2025-01-10 and is not applied.",
            "Provisional: 2025-01-10 is before departure 2025-03-12; pickup to date is treated as final.",
        ),
    )
    result = check(case)
    assert result.is_final is False
    assert result.rooms is not None
    assert result.rooms.baseline_room_nights == 100


def test_assessment_on_departure_is_final_without_provisional_warning() -> None:
    result = check(
        Case(cells(50, 50), {"attrition": {"performance_pct": 80}}, {"pickup": pickup(40, 40)}, "0.00")
    )
    assert result.is_final is True
    assert not any(w.startswith("Provisional") for w in result.warnings)


RATE_CASES = [
    # 8 short of a minimum of 16 on the MIXED block (10 at 100, 10 at 300).
    pytest.param("contract_rate", {}, mixed_pickup(8, 0), "1600.00", (), id="contract-rate-average-200"),
    pytest.param("lowest_rate", {}, mixed_pickup(8, 0), "800.00", (), id="lowest-rate-100"),
    # Pickup 6 × 100 + 2 × 300 = 1,200 over 8 → 150 a room night.
    pytest.param("pickup_weighted_average", {}, mixed_pickup(6, 2), "1200.00", (), id="pickup-weighted-150"),
    # No pickup to average: the contract rate 200 is used, 16 × 200, with a warning.
    pytest.param(
        "pickup_weighted_average",
        {},
        [],
        "3200.00",
        ("No credited pickup to average",),
        id="pickup-weighted-without-pickup-falls-back",
    ),
    # A suite type outside the block, without a rate, counts as pickup but not in the average:
    # 6 × 100 + 2 × 300 over 8 priced → 150; credited 8 + 2 = 10 → 6 short × 150 = 900.
    pytest.param(
        "pickup_weighted_average",
        {},
        mixed_pickup(6, 2) + pickup(2, room_type="Junior", source="outside_block"),
        "900.00",
        ("2 room nights were reported without a rate",),
        id="pickup-weighted-leaves-out-unpriced-rooms",
    ),
    pytest.param("fixed", {"fixed_rate": "150.00"}, mixed_pickup(8, 0), "1200.00", (), id="fixed-150"),
]


@pytest.mark.parametrize(("rule", "extra", "given", "total", "warnings"), RATE_CASES)
def test_damage_rate_rule_prices_the_shortfall(
    rule: str, extra: dict[str, str], given: list[dict[str, object]], total: str, warnings: tuple[str, ...]
) -> None:
    check(
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "damage_rate_rule": rule, **extra}},
            {"pickup": given},
            total,
            warnings=warnings,
        )
    )


def test_per_night_pickup_weighted_rate_uses_each_nights_pickup() -> None:
    # Night 0: pickup 6 at 100 and 2 at 300 → 150, 16 − 8 = 8 short → 1,200.
    # Night 1: no pickup → contract rate 200, 16 short → 3,200.
    block = MIXED + cells(10, rate="100.00", first=1) + cells(10, rate="300.00", room_type="S", first=1)
    check(
        Case(
            block,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "per_night",
                    "damage_rate_rule": "pickup_weighted_average",
                }
            },
            {"pickup": mixed_pickup(6, 2)},
            "4400.00",
            nights={night(0): "1200.00", night(1): "3200.00"},
        )
    )


def test_fixed_rate_above_the_contract_rate_is_capped_at_unused_revenue() -> None:
    # 10 rooms at 200, minimum 8, no pickup: 8 × 500 = 4,000, above 10 unused × 200 = 2,000.
    result = check(
        Case(
            cells(10),
            {"attrition": {"performance_pct": 80, "damage_rate_rule": "fixed", "fixed_rate": "500.00"}},
            {},
            "2000.00",
            lines={RN: "4000.00", CAP: "-2000.00"},
        )
    )
    (cap,) = [line for line in result.lines if line.kind is CAP]
    assert cap.inputs == (("cap", "2000.00"),)


RESALE_CASES = [
    pytest.param(
        # 100 at 200, pickup 60: 20 short → 4,000; 5 resold at 150 → credit 750.
        Case(
            cells(100),
            {"attrition": {"performance_pct": 80, "resale_mode": "resold_rooms"}},
            {
                "pickup": pickup(60),
                "inventory": [{"night": night(0), "resold_rooms": 5, "resold_rate": "150.00"}],
            },
            "3250.00",
            lines={RN: "4000.00", RESALE: "-750.00"},
        ),
        id="resold-rooms-cumulative",
    ),
    pytest.param(
        # Resold at 250 is credited only up to the rate 200: 5 × 200 = 1,000.
        Case(
            cells(100),
            {"attrition": {"performance_pct": 80, "resale_mode": "resold_rooms"}},
            {
                "pickup": pickup(60),
                "inventory": [{"night": night(0), "resold_rooms": 5, "resold_rate": "250.00"}],
            },
            "3000.00",
            lines={RN: "4000.00", RESALE: "-1000.00"},
        ),
        id="resold-rooms-credited-up-to-the-rate",
    ),
    pytest.param(
        # Two nights of 50, pickup 30 + 30: 20 short → 4,000. Best credit first: night 1, 15 × 180 = 2,700;
        # then night 0 for the 5 left, 5 × 100 = 500.
        Case(
            cells(50, 50),
            {"attrition": {"performance_pct": 80, "resale_mode": "resold_rooms"}},
            {
                "pickup": pickup(30, 30),
                "inventory": [
                    {"night": night(0), "resold_rooms": 15, "resold_rate": "100.00"},
                    {"night": night(1), "resold_rooms": 15, "resold_rate": "180.00"},
                ],
            },
            "800.00",
            lines={RN: "4000.00", RESALE: "-3200.00"},
        ),
        id="resold-rooms-cumulative-best-rate-first",
    ),
    pytest.param(
        # The best offer (night 1, 20 of its 25 resold at 180) covers the 20 short: 4,000 − 3,600;
        # night 0's offer is not needed.
        Case(
            cells(50, 50),
            {"attrition": {"performance_pct": 80, "resale_mode": "resold_rooms"}},
            {
                "pickup": pickup(30, 30),
                "inventory": [
                    {"night": night(0), "resold_rooms": 5, "resold_rate": "100.00"},
                    {"night": night(1), "resold_rooms": 25, "resold_rate": "180.00"},
                ],
            },
            "400.00",
            lines={RN: "4000.00", RESALE: "-3600.00"},
        ),
        id="resold-rooms-cumulative-credit-stops-at-the-shortfall",
    ),
    pytest.param(
        # Nothing resold: no credit line, the full 4,000.
        Case(
            cells(100),
            {"attrition": {"performance_pct": 80, "resale_mode": "resold_rooms"}},
            {"pickup": pickup(60), "inventory": [{"night": night(0), "unsold_rooms": 3}]},
            "4000.00",
        ),
        id="resold-rooms-none-resold",
    ),
    pytest.param(
        # W2 per night (5 short a night → 756 each); night 0 resold 3 at 150 → 3 × 150 × 80 % = 360.
        Case(
            cells(50, 50, rate="189.00"),
            {
                "attrition": {
                    "performance_pct": 85,
                    "damages_pct": 80,
                    "evaluation_mode": "per_night",
                    "resale_mode": "resold_rooms",
                }
            },
            {
                "pickup": pickup(38, 38),
                "inventory": [{"night": night(0), "resold_rooms": 3, "resold_rate": "150.00"}],
            },
            "1152.00",
            lines={RN: "1512.00", RESALE: "-360.00"},
        ),
        id="resold-rooms-per-night",
    ),
    pytest.param(
        # 10 resold but only the 5 chargeable are credited: 5 × 150 × 80 % = 600.
        Case(
            cells(50, 50, rate="189.00"),
            {
                "attrition": {
                    "performance_pct": 85,
                    "damages_pct": 80,
                    "evaluation_mode": "per_night",
                    "resale_mode": "resold_rooms",
                }
            },
            {
                "pickup": pickup(38, 38),
                "inventory": [{"night": night(1), "resold_rooms": 10, "resold_rate": "150.00"}],
            },
            "912.00",
            lines={RN: "1512.00", RESALE: "-600.00"},
        ),
        id="resold-rooms-per-night-up-to-the-chargeable",
    ),
    pytest.param(
        # Two nights 50 + 50, 20 short cumulatively; unsold 5 and 3 → 8 × 200.
        Case(
            cells(50, 50),
            {"attrition": {"performance_pct": 80, "resale_mode": "last_room_sold"}},
            {
                "pickup": pickup(30, 30),
                "inventory": [{"night": night(0), "unsold_rooms": 5}, {"night": night(1), "unsold_rooms": 3}],
            },
            "1600.00",
        ),
        id="last-room-sold-cumulative",
    ),
    pytest.param(
        # Night 0 is full (nothing unused, no report needed); night 1 has 40 unused, 8 unsold → 8 × 200.
        Case(
            cells(50, 50),
            {"attrition": {"performance_pct": 80, "resale_mode": "last_room_sold"}},
            {"pickup": pickup(50, 10), "inventory": [{"night": night(1), "unsold_rooms": 8}]},
            "1600.00",
        ),
        id="last-room-sold-full-night-needs-no-report",
    ),
    pytest.param(
        # 10 short, 5 unsold of which other groups were already charged for 2 → 3 × 100.
        Case(
            cells(100, rate="100.00"),
            {"attrition": {"performance_pct": 80, "resale_mode": "last_room_sold"}},
            {
                "pickup": pickup(70),
                "inventory": [{"night": night(0), "unsold_rooms": 5, "other_groups_charged_rooms": 2}],
            },
            "300.00",
        ),
        id="last-room-sold-other-groups-charged",
    ),
    pytest.param(
        # W2 per night: night 0 min(5, 2 unsold) = 2 × 189 × 80 % = 302.40; night 1 all 5 → 756.
        Case(
            cells(50, 50, rate="189.00"),
            {
                "attrition": {
                    "performance_pct": 85,
                    "damages_pct": 80,
                    "evaluation_mode": "per_night",
                    "resale_mode": "last_room_sold",
                }
            },
            {
                "pickup": pickup(38, 38),
                "inventory": [
                    {"night": night(0), "unsold_rooms": 2},
                    {"night": night(1), "unsold_rooms": 10},
                ],
            },
            "1058.40",
            nights={night(0): "302.40", night(1): "756.00"},
        ),
        id="last-room-sold-per-night",
    ),
    pytest.param(
        # Peak night 1: minimum 80, pickup 70 → 10 short, 4 unsold → 4 × 200.
        Case(
            cells(50, 100),
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "peak_night",
                    "resale_mode": "last_room_sold",
                }
            },
            {"pickup": pickup(10, 70), "inventory": [{"night": night(1), "unsold_rooms": 4}]},
            "800.00",
        ),
        id="last-room-sold-peak-night",
    ),
    pytest.param(
        # Revenue: 400 short (MIXED, 10 K + 6 S); 4 unused rooms, 1 unsold → at most 1 × 200.
        Case(
            MIXED,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "revenue",
                    "resale_mode": "last_room_sold",
                }
            },
            {"pickup": mixed_pickup(10, 6), "inventory": [{"night": night(0), "unsold_rooms": 1}]},
            "200.00",
        ),
        id="last-room-sold-revenue",
    ),
    pytest.param(
        # Two nights of 10 at 200: blocked 4,000, minimum 3,200, pickup 8 + 6 → 2,800: 400 short;
        # night 1 resold 1 at 150 → 250 (night 0 has no report).
        Case(
            cells(10, 10),
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "revenue",
                    "resale_mode": "resold_rooms",
                }
            },
            {
                "pickup": pickup(8, 6),
                "inventory": [{"night": night(1), "resold_rooms": 1, "resold_rate": "150.00"}],
            },
            "250.00",
        ),
        id="resold-rooms-revenue",
    ),
    pytest.param(
        # Revenue passes (3,200 = minimum): nothing to credit against.
        Case(
            MIXED,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "revenue",
                    "resale_mode": "resold_rooms",
                }
            },
            {
                "pickup": mixed_pickup(8, 8),
                "inventory": [{"night": night(0), "resold_rooms": 1, "resold_rate": "150.00"}],
            },
            "0.00",
        ),
        id="resold-rooms-revenue-passes",
    ),
    pytest.param(
        # Greater of, both tests fail (K 2 + S 8: 6 RN short, 600 revenue short), but the hotel had no
        # unsold room: last room sold leaves nothing chargeable in either test.
        Case(
            MIXED,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "greater_of",
                    "greater_of_charge": "room_nights",
                    "resale_mode": "last_room_sold",
                }
            },
            {"pickup": mixed_pickup(2, 8), "inventory": [{"night": night(0), "unsold_rooms": 0}]},
            "0.00",
        ),
        id="greater-of-last-room-sold-nothing-unsold",
    ),
]


@pytest.mark.parametrize("case", RESALE_CASES)
def test_resale_mode_reduces_what_is_charged(case: Case) -> None:
    check(case)


def test_greater_of_failing_revenue_is_not_a_pass_when_resale_leaves_nothing() -> None:
    # MIXED, K 2 + S 8: rooms 16 − 10 = 6 short → 6 × 200 = 1,200; revenue 3,200 − 2,600 = 600 short.
    # The hotel resold 3 rooms at 200: rooms 1,200 − 600 = 600; revenue 600 − 600 = 0. The revenue
    # test still failed, so the room-night charge applies: 600.
    result = check(
        Case(
            MIXED,
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "greater_of",
                    "greater_of_charge": "room_nights",
                    "resale_mode": "resold_rooms",
                }
            },
            {
                "pickup": mixed_pickup(2, 8),
                "inventory": [{"night": night(0), "resold_rooms": 3, "resold_rate": "200.00"}],
            },
            "600.00",
        )
    )
    assert result.rooms is not None
    assert result.rooms.is_passed is False
    assert "Both tests fail; the room-night damages apply." in result.lines[0].steps


@pytest.mark.parametrize(
    ("given", "verdict"),
    [
        pytest.param(mixed_pickup(10, 6), "The room-night test passes", id="room-nights"),
        pytest.param(mixed_pickup(0, 11), "The revenue test passes", id="revenue"),
    ],
)
def test_greater_of_passing_either_test_passes_the_group(
    given: list[dict[str, object]], verdict: str
) -> None:
    result = run(
        Case(
            MIXED,
            {"attrition": {"performance_pct": 80, "evaluation_mode": "greater_of"}},
            {"pickup": given},
            "0.00",
        )
    )
    assert result.rooms is not None
    assert result.rooms.is_passed is True
    assert any(step.startswith(verdict) for step in result.lines[0].steps)


def test_released_rooms_leave_the_baseline_at_the_cutoff() -> None:
    # Held at cut-off: night 0 30 rooms, night 1 none. Per night: night 0 minimum 24, pickup 20 →
    # 4 × 200; night 1 baseline 0 passes.
    result = check(
        Case(
            cells(50, 50),
            {
                "cutoff_date": "2025-02-08",
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "per_night",
                    "released_rooms_count": False,
                },
            },
            {"pickup": pickup(20), "cutoff_pickup": [{"night": night(0), "room_type": "K", "rooms": 30}]},
            "800.00",
            nights={night(0): "800.00", night(1): "0.00"},
        )
    )
    assert result.rooms is not None
    assert [n.baseline_room_nights for n in result.rooms.nights] == [30, 0]
    assert [n.block_room_nights for n in result.rooms.nights] == [50, 50]
    assert result.rooms.nights[1].damage_rate is not None
    assert result.rooms.nights[1].damage_rate.amount == 200
    released = next(t for t in result.terms if t.name == "attrition.released_rooms_count")
    assert released.is_default is False
    assert released.text == "Rooms released at the cut-off date 2025-02-08 leave the baseline."


def test_released_rooms_still_count_by_default() -> None:
    # Minimum 40 a night; pickup 20 and 0 → 20 + 40 = 60 × 200.
    result = check(
        Case(
            cells(50, 50),
            {
                "cutoff_date": "2025-02-08",
                "attrition": {"performance_pct": 80, "evaluation_mode": "per_night"},
            },
            {"pickup": pickup(20), "cutoff_pickup": [{"night": night(0), "room_type": "K", "rooms": 30}]},
            "12000.00",
        )
    )
    released = next(t for t in result.assumptions if t.name == "attrition.released_rooms_count")
    assert released.text == "Rooms released at the cut-off date 2025-02-08 still count in attrition."


def test_release_before_the_cutoff_date_is_not_applied() -> None:
    # As of 2025-02-01 the cut-off (2025-02-08) has not passed: the block of 50 stays, minimum 40,
    # pickup 20 → 20 × 200.
    check(
        Case(
            cells(50),
            {
                "cutoff_date": "2025-02-08",
                "attrition": {"performance_pct": 80, "released_rooms_count": False},
            },
            {"pickup": pickup(20)},
            "4000.00",
            as_of=date(2025, 2, 1),
        )
    )


def test_offline_rooms_the_hotel_failed_to_supply_leave_the_baseline() -> None:
    # 100 less 10 off-line = 90; minimum 72; pickup 70 → 2 × 200. A second cell loses more than it holds.
    result = check(
        Case(
            cells(100) + cells(5, room_type="S"),
            {
                "attrition": {"performance_pct": 80},
                "offline_rooms": [
                    {"night": night(0), "room_type": "K", "rooms": 10},
                    {"night": night(0), "room_type": "S", "rooms": 8},
                ],
            },
            {"pickup": pickup(70)},
            "400.00",
        )
    )
    assert result.rooms is not None
    assert result.rooms.baseline_room_nights == 90


def test_credited_sources_decide_what_counts_as_pickup() -> None:
    # In block 60, staff 5, comp 3. Staff not credited here, comps never by default: credited 60,
    # minimum 80 → 20 × 200; 8 room nights uncredited.
    result = check(
        Case(
            cells(100),
            {"attrition": {"performance_pct": 80, "credited_sources": {"staff": False}}},
            {"pickup": pickup(60) + pickup(5, source="staff") + pickup(3, source="comp")},
            "4000.00",
        )
    )
    assert result.rooms is not None
    assert result.rooms.credited_room_nights == 60
    assert result.rooms.uncredited_room_nights == 8
    assert result.rooms.pickup_by_source == ((PickupSource.IN_BLOCK, 60),)
    sources = next(t for t in result.terms if t.name == "attrition.credited_sources")
    assert sources.is_default is False
    assert sources.text.endswith("; not counted: staff, comp.")


def test_comp_rooms_count_toward_pickup_when_the_contract_says_so() -> None:
    # 70 paid + 2 comp credited = 72; minimum 80 → 8 × 200.
    check(
        Case(
            cells(100),
            {"attrition": {"performance_pct": 80, "credited_sources": {"comp": True}}},
            {"pickup": pickup(70) + pickup(2, source="comp")},
            "1600.00",
        )
    )


def test_shoulder_nights_count_in_a_cumulative_test() -> None:
    # Minimum 80; 70 in the block + 6 the night before + 2 the night after = 78 → 2 × 200.
    result = check(
        Case(
            cells(100),
            {"attrition": {"performance_pct": 80}},
            {
                "pickup": pickup(70)
                + pickup(6, first=-1, source="shoulder")
                + pickup(2, first=1, source="shoulder")
            },
            "400.00",
        )
    )
    assert result.rooms is not None
    assert result.rooms.credited_room_nights == 78
    assert "(including 8 shoulder nights)" in result.lines[0].steps[2]


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        pytest.param("per_night", "a night by night", id="per-night"),
        pytest.param("peak_night", "a peak night", id="peak-night"),
    ],
)
def test_shoulder_nights_in_a_night_by_night_test_are_named_not_dropped_silently(
    mode: str, words: str
) -> None:
    # Minimum 40; 35 in the block → 5 × 200 whatever the 3 shoulder nights, with a warning.
    check(
        Case(
            cells(50),
            {"attrition": {"performance_pct": 80, "evaluation_mode": mode}},
            {"pickup": pickup(35) + pickup(3, first=-1, source="shoulder")},
            "1000.00",
            warnings=(
                f"3 shoulder room nights are credited pickup, but {words} test has no block night to apply "
                "them to: they do not reduce the damages.",
            ),
        )
    )


def test_zero_baseline_counts_as_fully_used() -> None:
    # The whole block was reduced under a 100 % right: nothing is required, pickup counts as 100 %.
    result = check(
        Case(
            cells(10),
            {
                "attrition": {"performance_pct": 80},
                "reduction_rights": [{"until_date": "2025-02-01", "max_pct": 100}],
                "reductions": [
                    {
                        "notice_date": "2025-01-15",
                        "cells": [{"night": night(0), "room_type": "K", "rooms": 10}],
                    }
                ],
            },
            {},
            "0.00",
        )
    )
    assert result.rooms is not None
    assert result.rooms.pickup_pct == 100
    assert result.rooms.is_passed is True


def test_tiered_zero_baseline_is_the_top_tier() -> None:
    result = check(
        Case(
            cells(10),
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "tiered",
                    "tiers": [
                        {"from_pct": 0, "to_pct": 80, "damages_pct": 30},
                        {"from_pct": 80, "damages_pct": 0},
                    ],
                },
                "reduction_rights": [{"until_date": "2025-02-01", "max_pct": 100}],
                "reductions": [
                    {
                        "notice_date": "2025-01-15",
                        "cells": [{"night": night(0), "room_type": "K", "rooms": 10}],
                    }
                ],
            },
            {},
            "0.00",
        )
    )
    assert result.rooms is not None
    assert result.rooms.is_passed is True


def test_contract_setting_only_performance_pct_lists_every_default_as_an_assumption() -> None:
    result = run(
        Case(cells(50, 50), {"attrition": {"performance_pct": 80}}, {"pickup": pickup(40, 40)}, "0.00")
    )
    assert {t.name for t in result.assumptions} == {
        "attrition.evaluation_mode",
        "attrition.threshold_semantics",
        "attrition.minimum_rounding",
        "attrition.pass_if_equal",
        "attrition.damages_pct",
        "attrition.damage_rate_rule",
        "attrition.resale_mode",
        "attrition.baseline_mode",
        "attrition.credited_sources",
        "tax",
        "performance_stacking",
        "money_rounding",
    }
    assert all(t.is_default for t in result.assumptions)
    values = {t.name: t.value for t in result.assumptions}
    assert values["attrition.evaluation_mode"] == "cumulative"
    assert values["attrition.threshold_semantics"] == "deductible"
    assert values["attrition.minimum_rounding"] == "ceil"
    assert values["attrition.pass_if_equal"] == "true"
    assert values["attrition.damages_pct"] == "100"
    assert values["attrition.damage_rate_rule"] == "contract_rate"
    assert values["attrition.resale_mode"] == "none"
    assert values["attrition.baseline_mode"] == "adjusted"
    assert values["tax"] == "none"
    assert values["performance_stacking"] == "stack"
    performance = next(t for t in result.terms if t.name == "attrition.performance_pct")
    assert performance.is_default is False
    assert performance.text == "The group must use 80 % of the baseline (attrition allowance 20 %)."


@pytest.mark.parametrize(
    ("attrition", "term", "value"),
    [
        pytest.param(
            WITH_CREDIT, "attrition.credit_allocation", "highest_rate_first", id="credit-allocation"
        ),
        pytest.param(
            {"performance_pct": 80, "evaluation_mode": "greater_of"},
            "attrition.greater_of_charge",
            "lesser",
            id="greater-of-charge",
        ),
    ],
)
def test_mode_specific_defaults_are_listed_as_assumptions(
    attrition: dict[str, object], term: str, value: str
) -> None:
    result = run(Case(cells(50), {"attrition": attrition}, {"pickup": pickup(50)}, "0.00"))
    assert (term, value) in {(t.name, t.value) for t in result.assumptions}


def test_tiered_clause_lists_only_the_terms_it_uses() -> None:
    result = run(
        Case(
            cells(50),
            {
                "attrition": {
                    "performance_pct": 80,
                    "evaluation_mode": "tiered",
                    "tiers": [{"from_pct": 0, "damages_pct": 0}],
                }
            },
            {},
            "0.00",
        )
    )
    names = {t.name for t in result.terms}
    assert "attrition.evaluation_mode" in names
    assert "attrition.threshold_semantics" not in names
    assert "attrition.damage_rate_rule" not in names


def test_contract_without_attrition_clause_owes_no_room_damages_and_says_so() -> None:
    result = check(
        Case(
            cells(100),
            {},
            {"pickup": pickup(10)},
            "0.00",
            warnings=("The contract has no attrition clause: no room damages are owed",),
        )
    )
    assert result.rooms is None
    assert result.lines == ()
    (term,) = [t for t in result.terms if t.name == "attrition"]
    assert (term.value, term.is_default) == ("none", False)


def test_manual_damages_without_attrition_clause_are_included_and_marked_manual() -> None:
    result = check(
        Case(
            cells(100),
            {},
            {"manual_damages": {"amount": "2500.00", "reason": "Agreed with the planner"}},
            "2500.00",
            lines={LineKind.MANUAL: "2500.00"},
            warnings=("A manual amount entered by the hotel is included; it is not computed.",),
        )
    )
    (line,) = result.lines
    assert line.formula == "entered by hand, not computed"
    assert line.inputs == (("reason", "Agreed with the planner"),)


def test_per_night_working_shows_the_rounded_minimum_and_the_shortfall() -> None:
    result = run(
        Case(
            cells(50, rate="189.00"),
            {"attrition": {"performance_pct": 85, "damages_pct": 80, "evaluation_mode": "per_night"}},
            {"pickup": pickup(38)},
            "756.00",
        )
    )
    assert result.lines[0].steps == (
        "Baseline (block after valid reductions) = 50 room nights.",
        "Minimum = 85 % × 50 = 42.5, rounded up: 43 room nights.",
        "Credited pickup = 38 room nights.",
        "Shortfall = 43 − 38 = 5 room nights.",
        "Damages = 5 × 189.00 USD (the contract rate) × 80 % = 756.00 USD.",
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(pickup(45), "Pickup exceeds the minimum: no shortfall.", id="exceeds"),
        pytest.param(pickup(40), "Pickup equals the minimum: no shortfall.", id="equals"),
    ],
)
def test_passing_pickup_is_explained(given: list[dict[str, object]], expected: str) -> None:
    result = run(Case(cells(50), {"attrition": {"performance_pct": 80}}, {"pickup": given}, "0.00"))
    assert expected in result.lines[0].steps


@pytest.mark.parametrize(
    ("mode", "expected_step"),
    [
        pytest.param(
            "cumulative",
            "Baseline (block after valid reductions) = 80 room nights over 2 nights (contracted 100).",
            id="cumulative",
        ),
        pytest.param(
            "per_night",
            "Baseline (block after valid reductions) = 40 room nights (contracted 50).",
            id="per-night",
        ),
    ],
)
def test_working_shows_the_contracted_block_beside_a_reduced_baseline(mode: str, expected_step: str) -> None:
    # 50 a night reduced by 10 a night: 40 a night, 80 in all; 0.8 × 80 = 64 − 60 = 4 × 200.
    case = Case(
        cells(50, 50),
        {**REDUCED, "attrition": {"performance_pct": 80, "evaluation_mode": mode}},
        {"pickup": pickup(30, 30)},
        "800.00",
    )
    assert expected_step in run(case).lines[0].steps


def test_only_reductions_notified_by_as_of_reduce_the_baseline() -> None:
    # Night 0 reduced by 10 on 2025-01-05, night 1 by 10 on 2025-01-15; as of 2025-01-10 only the
    # first counts: baseline 40 + 50 = 90, minimum 0.8 × 90 = 72, pickup 60 → 12 × 200.00 = 2,400.00.
    terms = {
        "reduction_rights": [{"until_date": "2025-02-01", "max_pct": 20}],
        "reductions": [
            {"notice_date": "2025-01-05", "cells": [{"night": night(0), "room_type": "K", "rooms": 10}]},
            {"notice_date": "2025-01-15", "cells": [{"night": night(1), "room_type": "K", "rooms": 10}]},
        ],
        "attrition": {"performance_pct": 80},
    }
    result = run(Case(cells(50, 50), terms, {"pickup": pickup(30, 30)}, "2400.00", as_of=date(2025, 1, 10)))
    assert result.total == usd("2400.00")
    assert result.rooms is not None
    assert result.rooms.baseline_room_nights == 90
