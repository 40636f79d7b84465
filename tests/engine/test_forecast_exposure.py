"""Exposure before the event: scenarios, probability of damages, break-even, reductions (docs/rules.md §6)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.engine import assess
from app.engine.contract import Contract
from app.engine.forecast import PickupSnapshot, _Settlement, allocate, forecast_exposure, forecast_pickup
from app.engine.projection import ForecastPriors, HistoricalBlock, History
from tests.engine.builders import ARRIVAL, actuals, cells, contract, night, usd

D = Decimal
PRIORS = ForecastPriors.model_validate(
    {
        "min_history_blocks": 3,
        "segments": {
            "other": {
                "wash_pct": 15,
                "booking_curve": [
                    {"days_before_arrival": 60, "pct": 50},
                    {"days_before_arrival": 0, "pct": 100},
                ],
                "band": [{"days_before_arrival": 60, "pct": 40}, {"days_before_arrival": 0, "pct": 10}],
            }
        },
    },
    strict=False,
)
#: Final = 2 × OTB at 30 days, with some spread.
HISTORY = History(
    [
        HistoricalBlock.model_validate(
            {
                "block_room_nights": 100,
                "final_room_nights": final,
                "on_the_books": [{"days_before_arrival": 30, "room_nights": 40}],
            },
            strict=False,
        )
        for final in (70, 75, 80, 85, 90, 72, 78, 88)
    ],
    PRIORS,
)
NO_HISTORY = History([], PRIORS)


def snapshot(days: int, *booked: int) -> PickupSnapshot:
    return PickupSnapshot.model_validate(
        {
            "days_before_arrival": days,
            "nights": [{"night": night(i), "room_nights": n} for i, n in enumerate(booked)],
        },
        strict=False,
    )


CUMULATIVE = {"attrition": {"performance_pct": 80, "damages_pct": 80}}


def test_cumulative_exposure_prices_each_scenario_and_finds_the_minimum() -> None:
    c = contract(cells(50, 50), **CUMULATIVE)
    exposure = forecast_exposure(c, snapshot(30, 20, 20), HISTORY)
    assert exposure.as_of == ARRIVAL - timedelta(days=30)
    low, expected, high = exposure.scenarios
    assert (low.scenario, expected.scenario, high.scenario) == ("low", "expected", "high")
    assert low.room_nights <= expected.room_nights <= high.room_nights
    assert low.damages >= expected.damages >= high.damages
    assert exposure.break_even is not None
    # Cumulative: the minimum is ceil(80 % × 100) = 80 room nights over both nights, one total.
    assert exposure.break_even.is_over_stay
    assert exposure.break_even.room_nights == 80
    assert exposure.break_even.still_needed_room_nights == 80 - 40
    assert sum(n.break_even_room_nights for n in exposure.break_even.nights) == 80
    assert D(0) <= exposure.probability_of_damages_pct <= 100
    assert exposure.reductions == ()
    assert "probability of damages" in exposure.steps[-1]


def test_per_night_break_even_reaches_every_night_minimum() -> None:
    c = contract(cells(50, 100, 50), attrition={"performance_pct": 80, "evaluation_mode": "per_night"})
    exposure = forecast_exposure(c, snapshot(30, 30, 30, 10), NO_HISTORY)
    assert exposure.break_even is not None
    minimums = [40, 80, 40]
    assert not exposure.break_even.is_over_stay
    assert [n.break_even_room_nights for n in exposure.break_even.nights] == minimums
    assert [n.still_needed_room_nights for n in exposure.break_even.nights] == [10, 50, 30]
    assert exposure.projection.fit.band_source == "prior"


def test_no_attrition_clause_owes_nothing_in_any_scenario() -> None:
    c = contract(cells(50, 50))
    exposure = forecast_exposure(c, snapshot(30, 0, 0), HISTORY)
    assert exposure.probability_of_damages_pct == 0
    assert {s.damages for s in exposure.scenarios} == {usd("0.00")}
    assert exposure.outlook.expected == usd("0.00")
    assert exposure.break_even is None


def test_a_night_reduced_to_nothing_under_a_stricter_of_test_still_needs_its_original_minimum() -> None:
    c = contract(
        cells(50, 50),
        attrition={"performance_pct": 80, "evaluation_mode": "per_night", "baseline_mode": "stricter_of"},
        reduction_rights=[{"until_days_before_arrival": 60, "max_pct": 50}],
        reductions=[
            {"notice_date": night(-90), "cells": [{"night": night(1), "room_type": "K", "rooms": 50}]}
        ],
    )
    exposure = forecast_exposure(c, snapshot(30, 20, 0), HISTORY)
    assert exposure.break_even is not None
    # The original block (50 a night) is tested too: 40 a night, the reduced night included.
    assert [n.break_even_room_nights for n in exposure.break_even.nights] == [40, 40]
    assert exposure.probability_of_damages_pct == 100


def test_resale_is_not_counted_before_the_event() -> None:
    c = contract(cells(50, 50), attrition={"performance_pct": 80, "resale_mode": "last_room_sold"})
    exposure = forecast_exposure(c, snapshot(30, 20, 20), HISTORY)
    plain = forecast_exposure(
        contract(cells(50, 50), attrition={"performance_pct": 80}), snapshot(30, 20, 20), HISTORY
    )
    assert exposure.scenarios == plain.scenarios


def test_clauses_outside_the_lean_path_are_priced_by_assess_without_resale() -> None:
    terms = {"performance_pct": 80, "evaluation_mode": "per_night_with_credit"}
    resold = contract(cells(50, 50), attrition={**terms, "resale_mode": "resold_rooms"})
    plain = contract(cells(50, 50), attrition=terms)
    assert _Settlement(resold, ARRIVAL).clause is None
    assert (
        forecast_exposure(resold, snapshot(30, 20, 20), HISTORY).scenarios
        == forecast_exposure(plain, snapshot(30, 20, 20), HISTORY).scenarios
    )


def test_released_rooms_that_do_not_count_are_taken_at_the_scenario_pickup() -> None:
    c = contract(
        cells(50, 50),
        cutoff_date=night(-21),
        attrition={
            "performance_pct": 80,
            "released_rooms_count": False,
            "evaluation_mode": "per_night_with_credit",
        },
    )
    settlement = _Settlement(c, ARRIVAL)
    at_cutoff = [{"night": night(i), "room_type": "K", "rooms": n} for i, n in enumerate((30, 35))]
    booked = [{"night": night(i), "room_type": "K", "room_nights": n} for i, n in enumerate((30, 35))]
    expected = assess(c, actuals(pickup=booked, cutoff_pickup=at_cutoff), c.departure_date).total
    assert settlement.clause is None
    assert settlement.damages((30, 35)) == expected


def right(**fields: Any) -> dict[str, Any]:
    return {"until_days_before_arrival": 14, "max_pct": 20, **fields}


@pytest.mark.parametrize(
    ("rights", "reductions", "size", "note"),
    [
        pytest.param([right()], [], 20, "Reducing the block by 20 room nights", id="original-20-pct"),
        pytest.param([right(basis="current")], [], 20, "current block", id="current-20-pct"),
        pytest.param([right(max_pct=5)], [], 5, "Reducing the block by 5", id="limit-below-unused"),
        pytest.param([right(until_days_before_arrival=45)], [], None, "", id="deadline-passed"),
        pytest.param(
            [right(max_pct=50, basis="current", until_days_before_arrival=5)],
            [
                {
                    "notice_date": night(-20),
                    "cells": [
                        {"night": night(0), "room_type": "K", "rooms": 25},
                        {"night": night(1), "room_type": "K", "rooms": 25},
                    ],
                }
            ],
            0,
            "Not available",
            id="later-reduction-would-no-longer-fit",
        ),
    ],
)
def test_each_open_reduction_right_is_priced_used_now_and_not(
    rights: list[dict[str, Any]], reductions: list[dict[str, Any]], size: int | None, note: str
) -> None:
    c = contract(cells(50, 50), reduction_rights=rights, reductions=reductions, **CUMULATIVE)
    exposure = forecast_exposure(c, snapshot(30, 20, 20), HISTORY)
    if size is None:
        assert exposure.reductions == ()
        return
    (option,) = exposure.reductions
    assert option.room_nights == size
    assert note in option.note
    assert option.if_not_used == exposure.scenarios
    for used, not_used in zip(option.if_used, option.if_not_used, strict=True):
        assert used.damages <= not_used.damages


def test_nothing_to_reduce_when_the_whole_block_is_expected() -> None:
    c = contract(cells(50, 50), reduction_rights=[right(name="review")], **CUMULATIVE)
    (option,) = forecast_exposure(c, snapshot(30, 50, 50), HISTORY).reductions
    assert (option.right, option.room_nights) == ("review", 0)
    assert option.note.startswith("Nothing to reduce")


def test_snapshots_list_each_night_once() -> None:
    with pytest.raises(ValidationError, match="each night may appear only once"):
        PickupSnapshot.model_validate(
            {"days_before_arrival": 3, "nights": [{"night": night(0), "room_nights": 1}] * 2}, strict=False
        )


def test_forecast_pickup_is_the_lean_portfolio_path() -> None:
    c = contract(cells(50, 50), **CUMULATIVE)
    lean = forecast_pickup(c, snapshot(30, 20, 20), HISTORY)
    full = forecast_exposure(c, snapshot(30, 20, 20), HISTORY)
    assert (lean.projection, lean.scenarios, lean.outlook) == (full.projection, full.scenarios, full.outlook)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [(10, [1, 1, 1], [4, 3, 3]), (5, [0, 0], [5, 0]), (7, [2, 0, 5], [2, 0, 5]), (0, [3], [0])],
)
def test_allocate_by_largest_remainder(total: int, weights: list[int], expected: list[int]) -> None:
    assert allocate(total, weights) == expected


# The lean settlement must agree with assess() on every clause it prices.
terms = st.fixed_dictionaries(
    {
        "performance_pct": st.integers(50, 100),
        "damages_pct": st.sampled_from([70, 80, 100]),
        "evaluation_mode": st.sampled_from(["cumulative", "per_night"]),
        "threshold_semantics": st.sampled_from(["deductible", "cliff"]),
        "minimum_rounding": st.sampled_from(["ceil", "floor", "half_up", "exact"]),
        "pass_if_equal": st.booleans(),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    rooms=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=4),
    rates=st.tuples(st.sampled_from(["99.99", "189.00", "250.50"]), st.sampled_from(["120.00", "333.33"])),
    clause=terms,
    pickup=st.lists(st.integers(0, 150), min_size=4, max_size=4),
    rounding=st.sampled_from(["half_up", "down"]),
)
def test_lean_settlement_equals_assess(
    rooms: list[tuple[int, int]],
    rates: tuple[str, str],
    clause: dict[str, Any],
    pickup: list[int],
    rounding: str,
) -> None:
    block = [
        cell
        for i, (king, twin) in enumerate(rooms)
        for cell in (
            cells(king, rate=rates[0], first=i)[0],
            cells(twin, rate=rates[1], room_type="T", first=i)[0],
        )
    ]
    if not any(cell["rooms"] for cell in block):
        block[0]["rooms"] = 1
    c: Contract = contract(block, attrition=clause, money_rounding=rounding)
    counts = tuple(pickup[: len(c.nights)])
    lean = _Settlement(c, ARRIVAL)
    full = _Settlement(c, ARRIVAL, lean=False)
    assert lean.clause is not None
    assert full.clause is None
    assert lean.damages(counts) == full.damages(counts)
