"""Forecasts a planner can trust: a bounded, blended projection, damages as an expectation, the whole
exposure, and a break-even that the settlement engine agrees with in every evaluation mode
(docs/rules.md §6)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import assess
from app.engine.contract import Contract, Segment
from app.engine.forecast import PickupSnapshot, forecast_exposure
from app.engine.projection import ForecastPriors, HistoricalBlock, History, project_pickup
from app.forecasting import load_priors
from tests.engine.builders import ARRIVAL, actuals, cells, contract, night, pickup, usd

D = Decimal
PRIORS = load_priors()
NO_HISTORY = History([], PRIORS)


def snapshot(days: int, *booked: int) -> PickupSnapshot:
    return PickupSnapshot.model_validate(
        {
            "days_before_arrival": days,
            "nights": [{"night": night(i), "room_nights": n} for i, n in enumerate(booked)],
        },
        strict=False,
    )


def history_blocks(finals: list[tuple[int, int, int]]) -> list[HistoricalBlock]:
    return [
        HistoricalBlock.model_validate(
            {
                "segment": "corporate",
                "block_room_nights": block,
                "final_room_nights": final,
                "on_the_books": [{"days_before_arrival": 30, "room_nights": otb}],
            },
            strict=False,
        )
        for block, otb, final in finals
    ]


# --- 1. a bounded, blended projection ---------------------------------------------------------------


def test_far_from_arrival_the_forecast_stays_within_the_block() -> None:
    # Issue 13: corporate, 450 room nights over 3 nights, 200 days out, 418 on the books gave 4,180.
    fit = NO_HISTORY.fit(Segment.CORPORATE, 200)
    nights = [ARRIVAL + timedelta(days=i) for i in range(3)]
    block = dict(zip(nights, (150, 150, 150), strict=True))
    projection = project_pickup(block, dict(zip(nights, (140, 139, 139), strict=True)), fit)
    assert 405 <= projection.expected <= D("463.5")  # never above the block plus 3 %
    assert all(n.expected >= n.on_the_books for n in projection.nights)  # 200 days out: nothing washes
    assert projection.high <= D("463.5")
    empty = project_pickup(block, {}, fit)
    assert empty.high <= D("463.5")  # the band no longer runs past the block with nothing booked
    assert 0 < empty.expected < 450


nights_strategy = st.lists(
    st.tuples(st.integers(0, 300), st.integers(0, 350)), min_size=1, max_size=5
)  # (block, on the books) per night
history_strategy = st.lists(
    st.tuples(st.integers(20, 400), st.integers(0, 100), st.integers(0, 120)), max_size=14
).map(lambda rows: [(b, b * o // 100, b * f // 100) for b, o, f in rows])


@settings(max_examples=200, deadline=None)
@given(
    nights=nights_strategy,
    finals=history_strategy,
    days=st.integers(0, 400),
    segment=st.sampled_from(list(Segment)),
    more=st.integers(1, 50),
    which=st.integers(0, 4),
)
def test_projection_is_ordered_bounded_and_monotone_in_the_pickup_on_the_books(
    nights: list[tuple[int, int]],
    finals: list[tuple[int, int, int]],
    days: int,
    segment: Segment,
    more: int,
    which: int,
) -> None:
    blocks = [b.model_copy(update={"segment": segment}) for b in history_blocks(finals)]
    fit = History(blocks, PRIORS).fit(segment, days)
    dates = [ARRIVAL + timedelta(days=i) for i in range(len(nights))]
    block = {d: b for d, (b, _) in zip(dates, nights, strict=True)}
    booked = {d: o for d, (_, o) in zip(dates, nights, strict=True)}
    projection = project_pickup(block, booked, fit)
    for n in projection.nights:
        floor = n.on_the_books * fit.floor_share
        cap = max(floor, n.block_room_nights * (1 + fit.over_pickup))
        assert fit.floor_share <= 1
        assert floor <= n.low <= n.expected <= n.high <= cap
        for shock in projection.shocks:
            assert floor <= n.outcome(shock) <= cap
    # More on the books on one night never lowers any figure of that night.
    bumped = dict(booked)
    target = dates[which % len(dates)]
    bumped[target] += more
    after = project_pickup(block, bumped, fit)
    for before_night, after_night in zip(projection.nights, after.nights, strict=True):
        if before_night.night == target:
            assert after_night.low >= before_night.low
            assert after_night.expected >= before_night.expected
            assert after_night.high >= before_night.high


def test_history_supports_the_over_pickup_it_has_seen() -> None:
    rows = [(100, 40, final) for final in (90, 95, 100, 104, 108, 99, 97, 101, 103, 96)]
    fit = History(history_blocks(rows), PRIORS).fit(Segment.CORPORATE, 30)
    assert fit.band_source == "history"
    assert fit.over_pickup == D("0.08")  # the largest final seen: 108 on a block of 100
    assert fit.floor_share == 1  # every final was above what was on the books 30 days out


def test_priors_document_the_over_pickup_cap_and_refuse_a_large_one() -> None:
    assert all(prior.over_pickup_pct <= 5 for prior in PRIORS.segments.values())
    data = PRIORS.model_dump(mode="json")
    data["segments"]["other"]["over_pickup_pct"] = 80
    with pytest.raises(ValueError, match="over_pickup_pct"):
        ForecastPriors.model_validate(data, strict=False)


# --- 2. damages as an expectation -----------------------------------------------------------------

modes = st.sampled_from(["cumulative", "per_night", "per_night_with_credit", "peak_night", "revenue"])


@settings(max_examples=80, deadline=None)
@given(
    rooms=st.lists(st.integers(1, 120), min_size=1, max_size=4),
    booked=st.lists(st.integers(0, 130), min_size=4, max_size=4),
    days=st.sampled_from([0, 7, 30, 60, 120, 200]),
    mode=modes,
    performance=st.integers(50, 100),
)
def test_expected_damages_are_positive_exactly_when_damages_are_possible(
    rooms: list[int], booked: list[int], days: int, mode: str, performance: int
) -> None:
    c = contract(cells(*rooms), attrition={"performance_pct": performance, "evaluation_mode": mode})
    exposure = forecast_exposure(c, snapshot(days, *booked[: len(rooms)]), NO_HISTORY)
    outlook = exposure.outlook
    assert 0 <= outlook.probability_pct <= 100
    assert (outlook.probability_pct > 0) == (outlook.expected.amount > 0)
    assert outlook.likely_worst.amount >= 0
    if outlook.probability_pct >= 20:
        assert outlook.likely_worst.amount > 0


def test_a_chance_of_damages_is_never_shown_as_nothing_expected() -> None:
    # Issue 13: "$0.00 · 45 % chance of damages". The expected pickup passes; some scenarios do not.
    c = contract(cells(100, 100, 100), attrition={"performance_pct": 80})
    exposure = forecast_exposure(c, snapshot(30, 70, 70, 70), NO_HISTORY)
    assert exposure.scenarios[1].damages == usd("0.00")
    assert 0 < exposure.outlook.probability_pct < 100
    assert exposure.outlook.expected > usd("0.00")
    assert exposure.outlook.likely_worst >= exposure.outlook.expected


# --- 3. the whole exposure ------------------------------------------------------------------------


def test_each_scenario_is_the_engine_whole_total_with_fnb_spend_following_attendance() -> None:
    c = contract(
        cells(100, 100),
        attrition={"performance_pct": 80},
        fnb={"minimum": "20000.00", "damages_pct": 100},
    )
    exposure = forecast_exposure(c, snapshot(30, 80, 80), NO_HISTORY)
    expected = exposure.scenarios[1]
    spend = D(20000) * expected.room_nights / 200
    assert exposure.expected_fnb_spend == usd(f"{spend:.2f}")
    split = [round(n.expected) for n in exposure.projection.nights]
    whole = assess(
        c,
        actuals(
            pickup=pickup(*split),
            cutoff_pickup=[
                {"night": night(i), "room_type": "K", "rooms": r} for i, r in enumerate(split) if r
            ],
            fnb_spend=[{"category": "banquet_food", "amount": f"{spend:.2f}"}],
        ),
        c.departure_date,
    )
    assert expected.damages == whole.total
    assert expected.damages > usd("0.00")  # the F&B shortfall is in the forecast


def test_recorded_fnb_spend_above_the_projection_counts() -> None:
    c = contract(cells(100), attrition={"performance_pct": 50}, fnb={"minimum": "10000.00"})
    recorded = actuals(fnb_spend=[{"category": "banquet_food", "amount": "12000.00"}])
    exposure = forecast_exposure(c, snapshot(30, 90), NO_HISTORY, recorded=recorded)
    assert exposure.expected_fnb_spend == usd("12000.00")
    assert exposure.outlook.expected == usd("0.00")


def test_cancelling_today_is_priced_as_its_own_figure() -> None:
    c = contract(
        cells(50, 50, rate="289.00"),
        attrition={"performance_pct": 80},
        cancellation={
            "tiers": [{"min_days": 0, "max_days": None, "pct": 90}],
            "base": [{"kind": "room_revenue"}],
        },
    )
    exposure = forecast_exposure(c, snapshot(30, 40, 40), NO_HISTORY)
    assert exposure.cancel_today == usd("26010.00")  # 90 % of 100 × 289
    assert forecast_exposure(contract(cells(50)), snapshot(30, 1), NO_HISTORY).cancel_today is None


# --- 4. break-even per evaluation mode, checked against the engine -----------------------------------

MODES: dict[str, dict[str, Any]] = {
    "cumulative": {"performance_pct": 80, "damages_pct": 80},
    "cumulative-cliff": {"performance_pct": 90, "threshold_semantics": "cliff"},
    "cumulative-exact-not-equal": {
        "performance_pct": 85,
        "minimum_rounding": "exact",
        "pass_if_equal": False,
    },
    "per_night": {"performance_pct": 80, "evaluation_mode": "per_night"},
    "per_night_with_credit": {"performance_pct": 80, "evaluation_mode": "per_night_with_credit"},
    "peak_night": {"performance_pct": 80, "evaluation_mode": "peak_night"},
    "revenue": {"performance_pct": 80, "evaluation_mode": "revenue"},
    "greater_of": {"performance_pct": 80, "evaluation_mode": "greater_of"},
    "tiered": {
        "performance_pct": 85,
        "evaluation_mode": "tiered",
        "tiers": [
            {"from_pct": 0, "to_pct": 70, "damages_pct": 30},
            {"from_pct": 70, "to_pct": 85, "damages_pct": 17},
            {"from_pct": 85, "damages_pct": 0},
        ],
    },
}
OVER_STAY = {
    "cumulative",
    "cumulative-cliff",
    "cumulative-exact-not-equal",
    "revenue",
    "greater_of",
    "tiered",
}
#: The constructed fixture of docs/rules.md §7, with two rates so that revenue differs from room nights.
BLOCK = [*cells(50, 200, rate="150.00"), *cells(200, 50, rate="250.00", first=2)]
BOOKED = (20, 190, 120, 45)


def room_damages(c: Contract, counts: list[int]) -> Any:
    return assess(
        c,
        actuals(
            pickup=pickup(*counts),
            cutoff_pickup=[
                {"night": night(i), "room_type": "K", "rooms": r} for i, r in enumerate(counts) if r
            ],
        ),
        c.departure_date,
    ).total


@pytest.mark.parametrize("mode", list(MODES))
def test_break_even_pickup_owes_nothing_and_one_room_night_fewer_owes(mode: str) -> None:
    c = contract(BLOCK, attrition=MODES[mode])
    exposure = forecast_exposure(c, snapshot(30, *BOOKED), NO_HISTORY)
    even = exposure.break_even
    assert even is not None
    assert even.is_over_stay is (mode in OVER_STAY)
    counts = [max(n.on_the_books, n.on_the_books + n.still_needed_room_nights) for n in even.nights]
    assert room_damages(c, counts) == usd("0.00")
    assert even.still_needed_room_nights == sum(n.still_needed_room_nights for n in even.nights)
    if mode in OVER_STAY:
        assert sum(counts) == even.room_nights
        if even.still_needed_room_nights and mode != "revenue":  # revenue steps in money, not rooms
            fewer = list(counts)
            fewer[max(range(len(fewer)), key=lambda i: fewer[i] - BOOKED[i])] -= 1
            assert room_damages(c, fewer) > usd("0.00")
    else:
        for i, n in enumerate(even.nights):
            if n.still_needed_room_nights:
                fewer = list(counts)
                fewer[i] -= 1
                assert room_damages(c, fewer) > usd("0.00")


def test_a_cumulative_contract_that_already_passes_needs_nothing_on_any_night() -> None:
    # Issue 13: Northstar passes over all nights (418 ≥ 360) yet was told 59 more were needed on one.
    c = contract(cells(150, 150, 150), attrition={"performance_pct": 80})
    even = forecast_exposure(c, snapshot(200, 150, 150, 118), NO_HISTORY).break_even
    assert even is not None
    assert even.is_over_stay
    assert even.still_needed_room_nights == 0
    assert {n.still_needed_room_nights for n in even.nights} == {0}


def test_credit_mode_counts_pickup_above_the_block_against_short_nights() -> None:
    c = contract(
        cells(100, 100), attrition={"performance_pct": 80, "evaluation_mode": "per_night_with_credit"}
    )
    even = forecast_exposure(c, snapshot(30, 70, 105), NO_HISTORY).break_even
    assert even is not None
    # Night 1 needs 80, has 70; the 5 above the block on night 2 count: 5 still needed, not 10.
    assert [n.still_needed_room_nights for n in even.nights] == [5, 0]
    assert room_damages(c, [75, 105]) == usd("0.00")
    assert room_damages(c, [74, 105]) > usd("0.00")


@settings(max_examples=60, deadline=None)
@given(
    rooms=st.lists(st.integers(1, 80), min_size=1, max_size=4),
    booked=st.lists(st.integers(0, 90), min_size=4, max_size=4),
    mode=st.sampled_from(list(MODES)),
)
def test_break_even_agrees_with_the_engine_for_random_blocks(
    rooms: list[int], booked: list[int], mode: str
) -> None:
    c = contract(cells(*rooms), attrition=MODES[mode])
    on_books = booked[: len(rooms)]
    even = forecast_exposure(c, snapshot(14, *on_books), NO_HISTORY).break_even
    assert even is not None
    counts = [b + n.still_needed_room_nights for b, n in zip(on_books, even.nights, strict=True)]
    assert room_damages(c, counts) == usd("0.00")
    if room_damages(c, on_books) == usd("0.00"):
        assert even.still_needed_room_nights == 0


def test_even_a_tier_table_without_a_free_tier_breaks_even_at_the_full_block() -> None:
    # Some damages at any pickup %, but never more than the unused rooms' revenue (§3.7): none at 100 %.
    c = contract(
        cells(100, 100),
        attrition={
            "performance_pct": 80,
            "evaluation_mode": "tiered",
            "tiers": [{"from_pct": 0, "damages_pct": 5}],
        },
    )
    exposure = forecast_exposure(c, snapshot(30, 80, 80), NO_HISTORY)
    assert exposure.break_even is not None
    assert exposure.break_even.room_nights == 200
    assert room_damages(c, [100, 99]) > usd("0.00")


def test_the_whole_total_takes_resale_as_none_before_the_event() -> None:
    terms = {"performance_pct": 80}
    fnb = {"minimum": "10000.00"}
    resold = contract(cells(100, 100), attrition={**terms, "resale_mode": "resold_rooms"}, fnb=fnb)
    plain = contract(cells(100, 100), attrition=terms, fnb=fnb)
    assert (
        forecast_exposure(resold, snapshot(30, 50, 50), NO_HISTORY).outlook
        == forecast_exposure(plain, snapshot(30, 50, 50), NO_HISTORY).outlook
    )


def test_a_long_history_is_read_at_twenty_quantiles_and_scenarios_follow_the_shocks() -> None:
    rows = [(100, 40, 60 + i) for i in range(40)]
    fit = History(history_blocks(rows), PRIORS).fit(Segment.CORPORATE, 30)
    assert fit.band_source == "history"
    assert len(fit.shocks) == 20
    assert list(fit.shocks) == sorted(fit.shocks)
    nights = [ARRIVAL, ARRIVAL + timedelta(days=1)]
    projection = project_pickup(dict.fromkeys(nights, 100), dict.fromkeys(nights, 40), fit)
    low, high = projection.scenario(fit.shocks[0]), projection.scenario(fit.shocks[-1])
    assert all(a <= b for a, b in zip(low, high, strict=True))
    assert PRIORS.prior(Segment.CORPORATE).share_on_the_books(30) == 65
