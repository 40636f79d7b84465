"""Every worked example of docs/rules.md §7, with its published figures, plus the constructed fixture."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from app.engine import Assessment, LineKind, assess
from app.engine.attrition import comp_rooms_earned, minimum_room_nights
from app.engine.contract import CompTerms, MinimumRounding
from app.engine.forecast import pickup_after_wash

from .builders import actuals, cells, contract, departure, kind_total, night, night_amounts, pickup, usd


@dataclass(frozen=True)
class RoomCase:
    """A room-attrition example: block, clause, pickup and the published figures."""

    block: list[dict[str, Any]]
    attrition: dict[str, Any]
    pickup: list[dict[str, Any]]
    total: str
    minimum: Decimal | None = None
    shortfall: Decimal | None = None
    chargeable: Decimal | None = None
    per_night: dict[str, str] = field(default_factory=dict)
    inventory: list[dict[str, Any]] = field(default_factory=list)


def _assess_rooms(case: RoomCase) -> Assessment:
    c = contract(case.block, attrition=case.attrition)
    return assess(c, actuals(pickup=case.pickup, inventory=case.inventory), departure(c))


# The constructed fixture: block Mon 50, Tue 200, Wed 200, Thu 50 at 200, pickup 20/190/170/45.
FIXTURE_BLOCK = cells(50, 200, 200, 50, rate="200.00")
FIXTURE_PICKUP = pickup(20, 190, 170, 45)

# Per night: ceil(0.85 × 50) = ceil(42.5) = 43; 43 − 38 = 5 short each night;
# 2 × 5 × 189.00 × 0.80 = 1,512.00.
W2 = RoomCase(
    block=cells(50, 50, rate="189.00"),
    attrition={"performance_pct": 85, "damages_pct": 80, "evaluation_mode": "per_night"},
    pickup=pickup(38, 38),
    total="1512.00",
    minimum=Decimal(86),
    shortfall=Decimal(10),
    per_night={night(0): "756.00", night(1): "756.00"},
)

ROOM_CASES = [
    pytest.param(
        # 100 rooms, 20 % allowance → minimum 80; 70 used → 10 rooms at 100.00.
        RoomCase(
            block=cells(100, rate="100.00"),
            attrition={"performance_pct": 80},
            pickup=pickup(70),
            total="1000.00",
            minimum=Decimal(80),
            shortfall=Decimal(10),
        ),
        id="W1-pay-for-10-rooms",
    ),
    pytest.param(W2, id="W2-per-night-42.5-rounds-to-43"),
    pytest.param(
        # 25 % allowance on 50 rooms: ceil(37.5) = 38; pickup 30 → 8 short.
        RoomCase(
            block=cells(50, rate="100.00"),
            attrition={"performance_pct": 75},
            pickup=pickup(30),
            total="800.00",
            minimum=Decimal(38),
            shortfall=Decimal(8),
        ),
        id="W3-responsible-for-38-rooms",
    ),
    pytest.param(
        # 95 + 85 + 60 = 240 = 0.8 × 300: cumulative owes nothing.
        RoomCase(
            block=cells(100, 100, 100, rate="150.00"),
            attrition={"performance_pct": 80},
            pickup=pickup(95, 85, 60),
            total="0.00",
            minimum=Decimal(240),
            shortfall=Decimal(0),
        ),
        id="W4-cumulative-owes-0",
    ),
    pytest.param(
        # Per night: night 3 has 60 of a minimum of 80 → 20 × 150.00.
        RoomCase(
            block=cells(100, 100, 100, rate="150.00"),
            attrition={"performance_pct": 80, "evaluation_mode": "per_night"},
            pickup=pickup(95, 85, 60),
            total="3000.00",
            shortfall=Decimal(20),
            per_night={night(0): "0.00", night(1): "0.00", night(2): "3000.00"},
        ),
        id="W4-per-night-owes-20-on-night-3",
    ),
    pytest.param(
        # Tue: minimum 80, pickup 75 → 5 short; Wed: minimum 120, pickup 175 → the extra 25 are not credited.
        RoomCase(
            block=cells(100, 150, rate="200.00", first=1),
            attrition={"performance_pct": 80, "evaluation_mode": "per_night"},
            pickup=pickup(75, 175, first=1),
            total="1000.00",
            shortfall=Decimal(5),
            per_night={night(1): "1000.00", night(2): "0.00"},
        ),
        id="W5-per-night-no-credit-for-wednesday",
    ),
    pytest.param(
        # Cumulative: minimum 0.8 × 250 = 200, pickup 250 → 0.
        RoomCase(
            block=cells(100, 150, rate="200.00", first=1),
            attrition={"performance_pct": 80},
            pickup=pickup(75, 175, first=1),
            total="0.00",
            minimum=Decimal(200),
            shortfall=Decimal(0),
        ),
        id="W5-cumulative-owes-0",
    ),
    pytest.param(
        # 10 rooms short, the hotel had 5 unsold rooms: last room sold → owe 5 × 100.00.
        RoomCase(
            block=cells(100, rate="100.00"),
            attrition={"performance_pct": 80, "resale_mode": "last_room_sold"},
            pickup=pickup(70),
            inventory=[{"night": night(0), "unsold_rooms": 5}],
            total="500.00",
            shortfall=Decimal(10),
            chargeable=Decimal(5),
        ),
        id="W9-last-room-sold-owes-5-rooms",
    ),
    pytest.param(
        # 0.8 × 500 = 400 ≤ 20 + 190 + 170 + 45 = 425.
        RoomCase(
            block=FIXTURE_BLOCK,
            attrition={"performance_pct": 80, "damages_pct": 80},
            pickup=FIXTURE_PICKUP,
            total="0.00",
            minimum=Decimal(400),
            shortfall=Decimal(0),
        ),
        id="fixture-cumulative-0",
    ),
    pytest.param(
        # Mon: 0.8 × 50 = 40, pickup 20 → 20 × 200 × 0.8 = 3,200; the other nights pass.
        RoomCase(
            block=FIXTURE_BLOCK,
            attrition={"performance_pct": 80, "damages_pct": 80, "evaluation_mode": "per_night"},
            pickup=FIXTURE_PICKUP,
            total="3200.00",
            shortfall=Decimal(20),
            per_night={night(0): "3200.00", night(1): "0.00", night(2): "0.00", night(3): "0.00"},
        ),
        id="fixture-per-night-3200",
    ),
    pytest.param(
        # No night is above its block, so there is nothing to pool: still 3,200.
        RoomCase(
            block=FIXTURE_BLOCK,
            attrition={"performance_pct": 80, "damages_pct": 80, "evaluation_mode": "per_night_with_credit"},
            pickup=FIXTURE_PICKUP,
            total="3200.00",
            shortfall=Decimal(20),
            per_night={night(0): "3200.00", night(1): "0.00", night(2): "0.00", night(3): "0.00"},
        ),
        id="fixture-per-night-with-credit-3200",
    ),
    pytest.param(
        # 0.9 × 500 = 450 > 425: cliff charges every unused RN, 500 − 425 = 75 × 200 × 0.8 = 12,000.
        RoomCase(
            block=FIXTURE_BLOCK,
            attrition={"performance_pct": 90, "damages_pct": 80, "threshold_semantics": "cliff"},
            pickup=FIXTURE_PICKUP,
            total="12000.00",
            minimum=Decimal(450),
            shortfall=Decimal(75),
        ),
        id="fixture-cliff-at-90-12000",
    ),
    pytest.param(
        # Deductible: 450 − 425 = 25 × 200 × 0.8 = 4,000.
        RoomCase(
            block=FIXTURE_BLOCK,
            attrition={"performance_pct": 90, "damages_pct": 80},
            pickup=FIXTURE_PICKUP,
            total="4000.00",
            minimum=Decimal(450),
            shortfall=Decimal(25),
        ),
        id="fixture-deductible-at-90-4000",
    ),
]


@pytest.mark.parametrize("case", ROOM_CASES)
def test_room_worked_example_matches_published_figures(case: RoomCase) -> None:
    result = _assess_rooms(case)
    assert result.total == usd(case.total)
    assert result.rooms is not None
    if case.minimum is not None:
        assert result.rooms.minimum_room_nights == case.minimum
    if case.shortfall is not None:
        assert result.rooms.shortfall_room_nights == case.shortfall
    if case.chargeable is not None:
        assert result.rooms.chargeable_room_nights == case.chargeable
    if case.per_night:
        assert night_amounts(result) == {n: usd(amount) for n, amount in case.per_night.items()}


def test_w2_minimum_is_43_on_each_night() -> None:
    result = _assess_rooms(W2)
    assert result.rooms is not None
    assert [n.minimum_room_nights for n in result.rooms.nights] == [43, 43]
    assert [n.shortfall_room_nights for n in result.rooms.nights] == [5, 5]


def test_w3_minimum_room_nights_rounds_37_5_up_to_38() -> None:
    assert minimum_room_nights(Decimal(75), 50, MinimumRounding.CEIL) == 38


def test_w6_cancellation_is_90_pct_of_the_program_value() -> None:
    # 50 × 2 × 289.00 = 28,900 rooms + 500 meeting room + 2,000 F&B = 31,400; 90 % = 28,260.
    c = contract(
        cells(50, 50, rate="289.00"),
        fnb={"minimum": "2000.00"},
        meeting_room_rental="500.00",
        cancellation={
            "tiers": [
                {"min_days": 0, "max_days": 30, "pct": 90},
                {"min_days": 31, "max_days": 90, "pct": 50},
                {"min_days": 91, "pct": 10},
            ],
            "base": [{"kind": "room_revenue"}, {"kind": "meeting_room_rental"}, {"kind": "fnb_minimum"}],
        },
    )
    result = assess(c, actuals(cancellation_notice_date=night(-20)), departure(c))
    assert result.remedy == "cancellation"
    assert result.total == usd("28260.00")
    assert [line.kind for line in result.lines] == [LineKind.CANCELLATION]
    assert dict(result.lines[0].inputs)["base"] == "31400.00"


@pytest.mark.parametrize(
    ("minimum", "spend", "fnb", "expected"),
    [
        # 100,000 − 70,000 = 30,000 at 100 %.
        pytest.param("100000.00", "70000.00", {}, "30000.00", id="W7-full-clause-30000"),
        # 30,000 × 35 % = 10,500.
        pytest.param("100000.00", "70000.00", {"damages_pct": 35}, "10500.00", id="W7-35-pct-clause-10500"),
        # (1 − 0.20) × 100,000 = 80,000; 80,000 − 70,000 = 10,000 × 35 % = 3,500.
        pytest.param(
            "100000.00",
            "70000.00",
            {"damages_pct": 35, "allowance_pct": 20},
            "3500.00",
            id="W7-35-pct-with-20-pct-allowance-3500",
        ),
        # 50,000 − 40,000 = 10,000 × 35 % = 3,500.
        pytest.param(
            "50000.00", "40000.00", {"damages_pct": 35}, "3500.00", id="W8-35-pct-of-shortfall-3500"
        ),
    ],
)
def test_fnb_worked_example_matches_published_figures(
    minimum: str, spend: str, fnb: dict[str, Any], expected: str
) -> None:
    c = contract(cells(10), fnb={"minimum": minimum, **fnb})
    result = assess(c, actuals(fnb_spend=[{"category": "banquet_food", "amount": spend}]), departure(c))
    assert kind_total(result, LineKind.FNB_ATTRITION) == usd(expected)
    assert result.total == usd(expected)


@pytest.mark.parametrize(
    ("rounding", "earned"),
    [pytest.param("ceil", 6, id="W10-round-up-6"), pytest.param("floor", 5, id="W10-floor-5")],
)
def test_w10_comp_rooms_earned_on_213_paid_room_nights(rounding: str, earned: int) -> None:
    # 213 / 40 = 5.325.
    terms = CompTerms.model_validate({"ratio": 40, "rounding": rounding}, strict=False)
    assert comp_rooms_earned(213, terms) == earned


def test_w11_historical_wash_leaves_about_25_of_40_rooms() -> None:
    # 40 × (1 − 0.25 − 0.10 − 0.02) = 25.2 ≈ 25.
    forecast = pickup_after_wash(40, [Decimal(25), Decimal(10), Decimal(2)])
    assert forecast == Decimal("25.2")
    assert forecast.to_integral_value(rounding=ROUND_HALF_UP) == 25


@pytest.mark.parametrize(
    ("days", "rooms_pct", "expected"),
    [
        # 80 % × 20,000 + 100 % × 5,000 = 21,000 (a single 80 % would give 20,000).
        pytest.param(150, 100, "21000.00", id="W12-150-days-80-pct-rooms-100-pct-fnb"),
        # 100 % of both.
        pytest.param(119, 100, "25000.00", id="W12-119-days-100-pct-of-both"),
        # 50 % × 80 % × 20,000 + 5,000 = 13,000.
        pytest.param(150, 50, "13000.00", id="W12-rooms-at-50-pct-of-the-base"),
    ],
)
def test_w12_a_tier_gives_each_component_its_own_pct(days: int, rooms_pct: int, expected: str) -> None:
    c = contract(
        cells(50, 50, rate="200.00"),
        fnb={"minimum": "5000.00"},
        cancellation={
            "tiers": [
                {"min_days": 120, "pct": 80, "component_pct": {"fnb_minimum": 100}},
                {"min_days": 0, "max_days": 119, "pct": 100},
            ],
            "base": [{"kind": "room_revenue", "pct": rooms_pct}, {"kind": "fnb_minimum"}],
        },
    )
    result = assess(c, actuals(cancellation_notice_date=night(-days)), departure(c))
    assert result.total == usd(expected)
