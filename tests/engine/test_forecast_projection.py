"""Pickup projection: methods, method choice by backtest error, bands, backtest (docs/rules.md §6)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.engine.contract import Segment
from app.engine.projection import (
    DamagesReference,
    ForecastPriors,
    HistoricalBlock,
    History,
    Method,
    backtest,
    fit_lead,
    method_name,
    normal_cdf,
    normal_quantile,
    predict,
    project_pickup,
    quantile,
    share_below,
)

D = Decimal
CURVE = [{"days_before_arrival": 60, "pct": 50}, {"days_before_arrival": 0, "pct": 100}]
BAND = [
    {"days_before_arrival": 60, "pct": 40},
    {"days_before_arrival": 30, "pct": 30},
    {"days_before_arrival": 0, "pct": "12.5"},
]


def priors(**fields: Any) -> ForecastPriors:
    data: dict[str, Any] = {
        "min_history_blocks": 3,
        "segments": {"other": {"wash_pct": 15, "booking_curve": CURVE, "band": BAND}},
    }
    data.update(fields)
    return ForecastPriors.model_validate(data, strict=False)


def block(size: int, final: int, otb: dict[int, int], segment: str = "other") -> HistoricalBlock:
    return HistoricalBlock.model_validate(
        {
            "segment": segment,
            "block_room_nights": size,
            "final_room_nights": final,
            "on_the_books": [{"days_before_arrival": d, "room_nights": n} for d, n in otb.items()],
        },
        strict=False,
    )


# Histories in which one method is exact: it must win, with a MAPE of 0.
MULTIPLICATIVE = [block(100, 2 * o, {30: o}) for o in (20, 30, 40, 45)]  # final = 2 · OTB
ADDITIVE = [block(b, o + b // 5, {30: o}) for b, o in ((100, 10), (200, 90), (50, 5), (100, 60))]
WASH = [block(b, b * 4 // 5, {30: o}) for b, o in ((100, 10), (200, 150), (50, 5), (100, 70))]


@pytest.mark.parametrize(
    ("history", "method", "parameter"),
    [
        pytest.param(MULTIPLICATIVE, Method.MULTIPLICATIVE, "2", id="final-twice-otb-multiplicative"),
        pytest.param(ADDITIVE, Method.ADDITIVE, "0.2", id="fifth-of-block-to-come-additive"),
        pytest.param(WASH, Method.HISTORICAL_WASH, "0.2", id="twenty-pct-wash"),
    ],
)
def test_the_method_with_the_lowest_backtest_error_is_chosen(
    history: list[HistoricalBlock], method: Method, parameter: str
) -> None:
    fit = fit_lead(Segment.OTHER, 30, history, priors())
    assert fit.method is method
    assert fit.parameter == D(parameter)
    assert fit.band_source == "history"
    assert fit.blocks == 4
    scores = {score.method: score.mape_pct for score in fit.scores}
    assert scores[method] == 0
    assert all(score >= 0 for score in scores.values())
    assert f"{method_name(method)} has the lowest leave-one-out error over 4" in fit.reason
    assert "MAPE 0 %" in fit.reason


def test_multiplicative_is_left_out_when_nothing_was_on_the_books() -> None:
    history = [block(100, 80, {30: 0}) for _ in range(3)]
    fit = fit_lead(Segment.OTHER, 30, history, priors())
    assert [score.method for score in fit.scores] == [Method.ADDITIVE, Method.HISTORICAL_WASH]
    assert fit.method is Method.ADDITIVE  # tie at 0: the simpler method


def test_blocks_with_no_final_pickup_do_not_count_in_the_error() -> None:
    history = [block(100, 0, {30: 10}) for _ in range(3)]
    fit = fit_lead(Segment.OTHER, 30, history, priors())
    assert all(score.mape_pct == 0 for score in fit.scores)
    one = fit_lead(Segment.OTHER, 30, [*history, block(100, 50, {30: 0})], priors())
    assert one.blocks == 4


def test_thin_history_falls_back_to_the_prior_booking_curve() -> None:
    fit = fit_lead(Segment.WEDDING, 30, MULTIPLICATIVE[:2], priors())
    assert fit.method is Method.BOOKING_CURVE
    assert fit.band_source == "prior"
    assert fit.parameter == D("0.75")  # halfway between 50 % at 60 days and 100 % on arrival
    assert fit.band_pct == 30
    assert "only 2 comparable wedding blocks at 30 days (3 needed)" in fit.reason
    assert len(fit.shocks) == 20
    assert fit.shocks == tuple(sorted(fit.shocks))


@pytest.mark.parametrize(
    ("days", "share", "band"),
    [(90, "0.5", 40), (60, "0.5", 40), (45, "0.625", 35), (0, "1", "12.5")],
)
def test_prior_curves_are_linear_between_points_and_flat_beyond(days: int, share: str, band: str) -> None:
    fit = fit_lead(Segment.OTHER, days, [], priors())
    assert (fit.parameter, fit.band_pct) == (D(share), D(band))


@pytest.mark.parametrize(
    ("method", "parameter", "otb", "size", "expected"),
    [
        (Method.ADDITIVE, "0.2", 30, 100, "50"),
        (Method.ADDITIVE, "-0.5", 30, 100, "0"),  # never below zero
        (Method.MULTIPLICATIVE, "1.5", 30, 100, "45"),
        (Method.HISTORICAL_WASH, "0.25", 30, 40, "30"),
        # Booking pace: 30 + (1 − 75 %) × 100 × (1 − 20 % wash), the credibility weighting.
        (Method.BOOKING_CURVE, "0.75", 30, 100, "50"),
        # At or past 100 % the pace is fully credible: 51 / 102 %.
        (Method.BOOKING_CURVE, "1.02", 51, 100, "50"),
        (Method.BLOCK, "0", 30, 100, "100"),
    ],
)
def test_predict(method: Method, parameter: str, otb: int, size: int, expected: str) -> None:
    assert predict(method, D(parameter), D(otb), D(size), D("0.2")) == D(expected)


@pytest.mark.parametrize(
    ("values", "probability", "expected"),
    [
        (["1", "2", "3", "4", "5"], "0.5", "3"),
        (["1", "2"], "0.25", "1.25"),
        (["7"], "0.9", "7"),
        (["1", "3"], "1", "3"),
    ],
)
def test_quantile_interpolates_linearly(values: list[str], probability: str, expected: str) -> None:
    assert quantile([D(v) for v in values], D(probability)) == D(expected)


@pytest.mark.parametrize(
    ("otb", "days", "expected"),
    [
        ({60: 20, 30: 50}, 30, "50"),
        ({60: 20, 30: 50}, 45, "35"),
        ({60: 20, 30: 50}, 14, None),
        ({60: 20, 30: 50}, 90, None),
        ({30: 50}, 30, "50"),
        ({30: 50}, 14, None),
    ],
)
def test_on_the_books_is_interpolated_between_snapshots(
    otb: dict[int, int], days: int, expected: str | None
) -> None:
    value = block(100, 80, otb).on_the_books_at(days)
    assert value == (None if expected is None else D(expected))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: (
                block(100, 80, {30: 1})
                and HistoricalBlock.model_validate(
                    {
                        "block_room_nights": 10,
                        "final_room_nights": 5,
                        "on_the_books": [
                            {"days_before_arrival": 30, "room_nights": 1},
                            {"days_before_arrival": 30, "room_nights": 2},
                        ],
                    },
                    strict=False,
                )
            ),
            "each days_before_arrival may appear only once in on_the_books",
        ),
        (
            lambda: priors(segments={"association": {"wash_pct": 10, "booking_curve": CURVE, "band": BAND}}),
            "segments must include 'other'",
        ),
        (
            lambda: priors(segments={"other": {"wash_pct": 10, "booking_curve": CURVE * 2, "band": BAND}}),
            "booking_curve: each days_before_arrival may appear only once",
        ),
    ],
)
def test_inconsistent_history_and_priors_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_segments_without_their_own_prior_use_other() -> None:
    p = priors()
    assert p.prior(Segment.CORPORATE) == p.segments[Segment.OTHER]


NIGHTS = [date(2026, 5, 10) + timedelta(days=n) for n in range(3)]


def test_history_projection_applies_the_parameter_and_band_per_night() -> None:
    history = History([*MULTIPLICATIVE, block(100, 70, {30: 40})], priors())
    fit = history.fit(Segment.OTHER, 30)
    assert history.fit(Segment.OTHER, 30) is fit  # fitted once
    projection = project_pickup(dict(zip(NIGHTS, (50, 100, 50), strict=True)), {NIGHTS[1]: 40}, fit)
    assert [n.on_the_books for n in projection.nights] == [0, 40, 0]
    assert projection.expected == sum((n.expected for n in projection.nights), D(0))
    assert projection.low <= projection.expected <= projection.high
    assert projection.shocks == fit.shocks
    assert "multiplicative" in projection.steps[0].lower()


def test_prior_projection_band_is_a_share_of_the_remaining_pickup() -> None:
    fit = fit_lead(Segment.OTHER, 30, [], priors())
    projection = project_pickup({NIGHTS[0]: 100}, {NIGHTS[0]: 60}, fit)
    night = projection.nights[0]
    assert night.expected == D("81.25")  # 60 + (1 − 75 %) × 100 × (1 − 15 % wash)
    assert (night.low, night.high) == (D("69.25"), D("93.25"))  # ± 30 % of (100 − 60)
    # The shocks are the prior band read as a normal distribution, in band half-widths.
    assert projection.shocks[-1] > 0 > projection.shocks[0]
    assert all(60 <= night.outcome(shock) <= 103 for shock in projection.shocks)
    empty = project_pickup({NIGHTS[0]: 0}, {}, fit)
    assert empty.low == empty.expected == empty.high == 0  # an empty block: the wash of nothing


def test_a_block_with_nothing_on_the_books_is_carried_by_the_wash_prior_not_a_division() -> None:
    fit = fit_lead(Segment.OTHER, 30, [], priors())

    projection = project_pickup({NIGHTS[0]: 100, NIGHTS[1]: 60}, {}, fit)

    # 25 % of the final pickup is still to come: that share of the 15 % wash prior, 0 / 75 % is not used.
    assert [night.expected for night in projection.nights] == [D("21.25"), D("12.75")]
    assert projection.fit.method is Method.BOOKING_CURVE
    assert "weighted 75 % against the segment's usual wash of 15 %" in projection.fit.reason
    # The band never goes below what is on the books (nothing) nor above the block + 3 %.
    assert (projection.nights[0].low, projection.nights[0].high) == (D(0), D("51.25"))


@given(
    rooms=st.lists(st.integers(0, 400), min_size=1, max_size=6),
    booked=st.lists(st.integers(0, 500), min_size=6, max_size=6),
    days=st.sampled_from([0, 14, 30, 60, 120]),
    with_history=st.booleans(),
)
def test_low_expected_high_are_ordered_and_never_negative(
    rooms: list[int], booked: list[int], days: int, with_history: bool
) -> None:
    history = History(MULTIPLICATIVE + ADDITIVE + WASH if with_history else [], priors())
    fit = history.fit(Segment.OTHER, days)
    nights = NIGHTS + [NIGHTS[-1] + timedelta(days=n) for n in range(1, 4)]
    projection = project_pickup(
        dict(zip(nights, rooms, strict=False)), dict(zip(nights, booked, strict=False)), fit
    )
    for night in projection.nights:
        assert 0 <= night.low <= night.expected <= night.high
    assert projection.low <= projection.expected <= projection.high


def test_backtest_reports_error_and_coverage_by_lead_time() -> None:
    history = (MULTIPLICATIVE * 3) + [block(100, 50, {60: 10})]
    report = backtest(history, priors(), lead_times=(30, 60, 7), folds=2)
    by_days = {lead.days_before_arrival: lead for lead in report.leads}
    assert by_days[30].blocks == 12
    assert by_days[30].mape_pct == 0
    assert by_days[30].block_mape_pct > 0
    assert by_days[30].coverage_pct == 100
    assert by_days[60].blocks == 1  # only one block has a snapshot 60 days out: the prior applies
    assert by_days[7] == type(by_days[7])(7, 0, D(0), D(0), D(0))
    assert {(fit.segment, fit.days_before_arrival) for fit in report.choices} == {
        (Segment.OTHER, 30),
        (Segment.OTHER, 60),
        (Segment.OTHER, 7),
    }
    zero = backtest([block(100, 0, {30: 10})] * 4, priors(), lead_times=(30,), folds=2)
    assert zero.leads[0].mape_pct == 0
    # Damages under the reference clause (80 % cumulative at 200): the exact forecast has no error.
    assert (by_days[30].damages_mae, by_days[30].brier) == (0, 0)
    assert zero.leads[0].brier == 0  # every scenario owed, and damages were owed


def test_backtest_prices_damages_with_a_reference_clause() -> None:
    reference = DamagesReference(performance_pct=D(80), rate=D(100))
    assert reference.damages(D(100), D("70.4")) == 1000  # ceil(80) − 70 rooms = 10 × 100
    assert reference.damages(D(100), D(85)) == 0
    wrong = backtest([block(100, 60, {30: 30}), *[block(100, 90, {30: 45})] * 3], priors(), (30,), 2)
    assert wrong.leads[0].damages_mae > 0
    assert 0 < wrong.leads[0].damages_mae_pct < 100
    assert 0 < wrong.leads[0].brier <= 1


def test_backtest_needs_two_folds() -> None:
    with pytest.raises(ValueError, match="at least 2 folds"):
        backtest(MULTIPLICATIVE, priors(), folds=1)


@pytest.mark.parametrize(
    ("x", "expected"), [("0", "0.5"), ("7", "1"), ("-7", "0"), ("1.959963984540054", "0.975")]
)
def test_normal_cdf(x: str, expected: str) -> None:
    assert abs(normal_cdf(D(x)) - D(expected)) < D("1e-12")


def test_normal_quantile_inverts_the_cdf() -> None:
    assert abs(normal_quantile(D("0.975")) - D("1.959963984540054")) < D("1e-9")
    assert abs(normal_quantile(D("0.5"))) < D("1e-9")


def test_share_below() -> None:
    assert share_below([D(-1), D(0), D(1), D(2)], D("0.5")) == 50
