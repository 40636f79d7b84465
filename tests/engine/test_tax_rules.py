"""Tax rules as data and the rounding term (docs/taxes.md; app/engine/taxes.py).

Worked examples for each form of issue 18, figured by hand in the docstrings from the sources cited in
app/tax_profiles/*.yaml, then the edges of every condition and of the rounding term.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.engine.contract import (
    Contract,
    DamagesKind,
    RoundingIncrement,
    RoundingScope,
    RoundingTerm,
    TaxNoticeWindow,
    TaxProfile,
    TaxRule,
    TaxThreshold,
    ThresholdComparison,
    VatCategory,
)
from app.engine.money import Money, Rounding
from app.engine.taxes import (
    DamagesBase,
    KindCheck,
    NoticeCheck,
    TaxReason,
    ThresholdCheck,
    apply_rounding,
    check_notice,
    check_threshold,
    decide_contract_taxes,
    decide_taxes,
    exclusive_tax,
    inclusive_tax,
    nightly_rate,
    round_to_increment,
    rounding_increment,
    rounding_is_default,
    rounding_method,
)

from .builders import cells, contract, contract_data

CANCELLATION = DamagesKind.CANCELLATION
ROOMS = DamagesKind.ROOM_ATTRITION
FNB = DamagesKind.FNB_ATTRITION
HALF_UP = Rounding.HALF_UP
ARRIVAL = date(2027, 3, 29)


def gbp(text: str) -> Money:
    return Money(Decimal(text), "GBP")


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def rule(**fields: Any) -> TaxRule:
    data: dict[str, Any] = {"name": "Tax", "rate_pct": 10, "kinds": ["room_attrition"], **fields}
    return TaxRule.model_validate(data, strict=False)


def profile(*rules: TaxRule, **fields: Any) -> TaxProfile:
    return TaxProfile.model_validate({"taxes": [r.model_dump() for r in rules], **fields}, strict=False)


def decide(
    taxes: TaxProfile | None,
    *bases: DamagesBase,
    rate: Money | None = None,
    notice: date | None = None,
    method: Rounding = HALF_UP,
) -> Any:
    return decide_taxes(
        taxes, bases, nightly_rate=rate, arrival_date=ARRIVAL, notice_date=notice, method=method
    )


# --- worked examples ---------------------------------------------------------------------------

UK_VAT = rule(name="VAT", rate_pct=20, kinds=["cancellation", "room_attrition"], inclusive=True)


def test_uk_vat_is_extracted_from_a_retained_deposit_so_net_and_vat_add_up_to_it() -> None:
    """HMRC VATSC05824: a hotel cancellation fee pays for the room secured, so VAT is due on it, and
    the amount retained contains the VAT. A deposit of £1,000.00 is retained as cancellation damages:

        VAT = 1,000.00 × 20 / (100 + 20) = 166.666… → 166.67 (half-up to the penny)
        net = 1,000.00 − 166.67 = 833.33;  833.33 + 166.67 = 1,000.00, nothing added on top.
    """
    outcome = decide(profile(UK_VAT), DamagesBase(CANCELLATION, gbp("1000.00")))
    (kind,) = outcome.kinds
    assert (kind.net, kind.included_tax, kind.added_tax, kind.gross) == (
        gbp("833.33"),
        gbp("166.67"),
        gbp("0.00"),
        gbp("1000.00"),
    )
    (decision,) = kind.decisions
    assert decision.applied
    assert decision.amount is not None
    assert decision.amount.inclusive
    assert decision.amount.taxable == gbp("1000.00")
    assert decision.amount.tax == gbp("166.67")
    assert decision.checks == (KindCheck(True, TaxReason.KIND_COVERED, CANCELLATION, UK_VAT.kinds),)
    assert outcome.gross == gbp("1000.00")


def test_the_same_charge_with_vat_added_on_top_costs_the_group_more() -> None:
    """The exclusive reading of the same £1,000.00: VAT = 1,000.00 × 20 / 100 = 200.00, gross 1,200.00."""
    added = rule(name="VAT", rate_pct=20, kinds=["cancellation"])
    (kind,) = decide(profile(added), DamagesBase(CANCELLATION, gbp("1000.00"))).kinds
    assert (kind.net, kind.added_tax, kind.gross) == (gbp("1000.00"), gbp("200.00"), gbp("1200.00"))


LOUISIANA = rule(
    name="State sales tax on rooms",
    rate_pct=5,
    kinds=["room_attrition"],
    conditions={"threshold": {"comparison": "at_least", "pct": 100}},
)


def test_louisiana_taxes_attrition_that_reaches_the_nightly_rate() -> None:
    """Revenue Ruling 04-004: a charge equal to the room rate (a no-show) is taxable. Ten unused room
    nights at the $200.00 group rate, damages 100 %: $2,000.00, i.e. 2,000 / 10 = $200.00 a night,
    200 / 200 = 100 % of the rate, at least 100 %: taxed. Tax = 2,000.00 × 5 % = $100.00."""
    (kind,) = decide(
        profile(LOUISIANA), DamagesBase(ROOMS, usd("2000.00"), Decimal(10)), rate=usd("200.00")
    ).kinds
    (decision,) = kind.decisions
    threshold = decision.checks[1]
    assert isinstance(threshold, ThresholdCheck)
    assert threshold.reason is TaxReason.THRESHOLD_MET
    assert threshold.charge_per_room_night == usd("200")
    assert threshold.charge_pct == 100
    assert decision.applied
    assert kind.added_tax == usd("100.00")
    assert kind.gross == usd("2100.00")


def test_louisiana_leaves_attrition_below_the_nightly_rate_untaxed() -> None:
    """Revenue Ruling 04-004: a fee less than the rate would have been is generally not taxable. Ten
    unused room nights charged at 80 % of $200.00: $1,600.00, $160.00 a night, 80 % of the rate, below
    100 %: not taxed; the group owes $1,600.00."""
    (kind,) = decide(
        profile(LOUISIANA), DamagesBase(ROOMS, usd("1600.00"), Decimal(10)), rate=usd("200.00")
    ).kinds
    (decision,) = kind.decisions
    threshold = decision.checks[1]
    assert isinstance(threshold, ThresholdCheck)
    assert (threshold.reason, threshold.charge_pct, threshold.threshold_pct) == (
        TaxReason.THRESHOLD_NOT_MET,
        80,
        100,
    )
    assert not decision.applied
    assert decision.amount is None
    assert (kind.added_tax, kind.gross) == (usd("0.00"), usd("1600.00"))


TEXAS = rule(
    name="State hotel occupancy tax",
    rate_pct=6,
    kinds=["cancellation"],
    conditions={"notice_window": {"within_days": 30}},
)


def test_texas_taxes_a_cancellation_notified_within_thirty_days_of_arrival() -> None:
    """Comptroller's decision, hearing 24,654: cancelled within thirty days of arrival, the fee is the
    room price and taxed. Notice 1 March 2027 for arrival 29 March 2027: 28 days, within 30. Damages
    $12,000.00 × 6 % = $720.00."""
    (kind,) = decide(
        profile(TEXAS), DamagesBase(CANCELLATION, usd("12000.00")), notice=date(2027, 3, 1)
    ).kinds
    (decision,) = kind.decisions
    assert decision.checks[1] == NoticeCheck(
        True, TaxReason.NOTICE_WITHIN_WINDOW, 30, ARRIVAL, date(2027, 3, 1), 28
    )
    assert kind.added_tax == usd("720.00")
    assert kind.gross == usd("12720.00")


def test_texas_leaves_a_cancellation_notified_earlier_untaxed() -> None:
    """Hearing 24,654: cancelled more than thirty days before arrival, the group never had the right
    to occupy; the fee is damages, not taxed. Notice 20 February 2027: 37 days before arrival."""
    (kind,) = decide(
        profile(TEXAS), DamagesBase(CANCELLATION, usd("12000.00")), notice=date(2027, 2, 20)
    ).kinds
    (decision,) = kind.decisions
    check = decision.checks[1]
    assert isinstance(check, NoticeCheck)
    assert (check.reason, check.days_before_arrival, decision.applied) == (
        TaxReason.NOTICE_BEFORE_WINDOW,
        37,
        False,
    )
    assert kind.gross == usd("12000.00")


def test_whole_unit_rounding_per_line_and_on_the_total_differ() -> None:
    """Issue 18: a contract rounds damages to whole dollars. Two lines, $5,118.40 and $5,119.10
    ($10,237.50 in all), half-up:

        per line:     5,118 + 5,119 = $10,237 (each line loses or gains its cents)
        on the total: 5,118.40 + 5,119.10 = 10,237.50 → $10,238, a rounding adjustment of +0.50.
    """
    lines = [usd("5118.40"), usd("5119.10")]
    per_line = apply_rounding(lines, RoundingTerm(increment=RoundingIncrement.WHOLE_UNIT), HALF_UP, "USD")
    assert per_line.lines == (usd("5118.00"), usd("5119.00"))
    assert (per_line.total, per_line.adjustment) == (usd("10237.00"), usd("0.00"))
    on_total = apply_rounding(
        lines,
        RoundingTerm(increment=RoundingIncrement.WHOLE_UNIT, scope=RoundingScope.ON_TOTAL),
        HALF_UP,
        "USD",
    )
    assert on_total.lines == (usd("5118.40"), usd("5119.10"))
    assert (on_total.total, on_total.adjustment) == (usd("10238.00"), usd("0.50"))
    assert sum((line.amount for line in on_total.lines), on_total.adjustment.amount) == on_total.total.amount
    assert on_total.scope is RoundingScope.ON_TOTAL
    assert on_total.increment == 1


@pytest.mark.parametrize(
    ("amount", "method", "expected"),
    [
        # $10,236.50 to whole dollars: a tie. Half-up goes away from zero, half-even to the even 10,236.
        pytest.param("10236.50", Rounding.HALF_UP, "10237.00", id="half-up-tie-goes-up"),
        pytest.param("10236.50", Rounding.HALF_EVEN, "10236.00", id="half-even-tie-goes-to-even"),
        pytest.param("10237.50", Rounding.HALF_EVEN, "10238.00", id="half-even-odd-tie-goes-up"),
        pytest.param("10236.01", Rounding.UP, "10237.00", id="up-takes-any-cent-up"),
        pytest.param("10236.99", Rounding.DOWN, "10236.00", id="down-drops-the-cents"),
        # A credit: up and down are towards +∞ and −∞, as in Money.rounded.
        pytest.param("-10.50", Rounding.UP, "-10.00", id="up-on-a-credit-goes-towards-zero"),
        pytest.param("-10.50", Rounding.DOWN, "-11.00", id="down-on-a-credit-goes-away-from-zero"),
    ],
)
def test_each_method_rounds_to_whole_units(amount: str, method: Rounding, expected: str) -> None:
    assert round_to_increment(usd(amount), Decimal(1), method) == usd(expected)


@pytest.mark.parametrize(
    ("amount", "method", "expected"),
    [
        # A step of 0.05: 10.37 is 207.4 steps → 207 (half-up) = 10.35; up 208 steps = 10.40.
        pytest.param("10.37", Rounding.HALF_UP, "10.35", id="nearest-nickel"),
        pytest.param("10.37", Rounding.UP, "10.40", id="nickel-up"),
        pytest.param("10.375", Rounding.HALF_EVEN, "10.40", id="tie-of-207-and-a-half-steps-goes-even"),
    ],
)
def test_a_step_of_five_cents(amount: str, method: Rounding, expected: str) -> None:
    term = RoundingTerm(increment=RoundingIncrement.STEP, step=Decimal("0.05"))
    rounded = apply_rounding([usd(amount)], term, method, "USD")
    assert rounded.lines == (usd(expected),)
    assert rounded.total == usd(expected)


def test_minor_unit_rounding_per_line_is_todays_rounding() -> None:
    """The default term: each line to the cent with the method, then summed; 10.385 is a tie."""
    rounded = apply_rounding([usd("10.385"), usd("1.00")], RoundingTerm(), Rounding.HALF_EVEN, "USD")
    assert rounded.lines == (usd("10.38"), usd("1.00"))
    assert rounded.total == usd("11.38")
    assert rounding_increment(RoundingTerm(), "JPY") == 1
    assert rounding_increment(RoundingTerm(), "KWD") == Decimal("0.001")


# --- conditions at their edges -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "charge", "met"),
    [
        pytest.param("above", "2000.00", False, id="above-is-strict-at-the-threshold"),
        pytest.param("above", "2000.10", True, id="above-by-a-cent-of-the-total"),
        pytest.param("at_least", "2000.00", True, id="at-least-meets-the-threshold"),
        pytest.param("at_least", "1999.99", False, id="at-least-misses-by-a-cent"),
    ],
)
def test_the_threshold_is_compared_exactly(comparison: str, charge: str, met: bool) -> None:
    threshold = TaxThreshold(comparison=ThresholdComparison(comparison), pct=Decimal(100))
    check = check_threshold(threshold, usd(charge), Decimal(10), usd("200.00"))
    assert check.met is met
    assert check.reason is (TaxReason.THRESHOLD_MET if met else TaxReason.THRESHOLD_NOT_MET)


@pytest.mark.parametrize(
    ("room_nights", "rate"),
    [
        pytest.param(None, usd("200.00"), id="damages-not-priced-by-room-night"),
        pytest.param(Decimal(0), usd("200.00"), id="no-room-nights"),
        pytest.param(Decimal(10), None, id="no-nightly-rate"),
        pytest.param(Decimal(10), usd("0.00"), id="a-free-room"),
    ],
)
def test_a_threshold_with_nothing_to_measure_does_not_apply(
    room_nights: Decimal | None, rate: Money | None
) -> None:
    check = check_threshold(TaxThreshold(pct=Decimal(50)), usd("2000.00"), room_nights, rate)
    assert (check.met, check.reason) == (False, TaxReason.THRESHOLD_NOT_MEASURABLE)
    assert check.charge_per_room_night is None
    assert check.charge_pct is None
    assert (check.room_nights, check.nightly_rate) == (room_nights, rate)


@pytest.mark.parametrize(
    ("notice", "reason", "met", "days"),
    [
        pytest.param(date(2027, 2, 27), TaxReason.NOTICE_WITHIN_WINDOW, True, 30, id="on-the-thirtieth-day"),
        pytest.param(date(2027, 2, 26), TaxReason.NOTICE_BEFORE_WINDOW, False, 31, id="a-day-earlier"),
        pytest.param(date(2027, 3, 30), TaxReason.NOTICE_WITHIN_WINDOW, True, -1, id="after-arrival-no-show"),
    ],
)
def test_the_notice_window_counts_whole_days_before_arrival(
    notice: date, reason: TaxReason, met: bool, days: int
) -> None:
    check = check_notice(TaxNoticeWindow(within_days=30), ARRIVAL, notice)
    assert (check.reason, check.met, check.days_before_arrival) == (reason, met, days)


@pytest.mark.parametrize(
    ("applies", "reason"),
    [
        pytest.param(False, TaxReason.NO_NOTICE_DOES_NOT_APPLY, id="attrition-without-notice-untaxed"),
        pytest.param(True, TaxReason.NO_NOTICE_APPLIES, id="attrition-without-notice-taxed"),
    ],
)
def test_damages_without_a_notice_date_follow_the_rule(applies: bool, reason: TaxReason) -> None:
    check = check_notice(TaxNoticeWindow(within_days=30, applies_without_notice=applies), ARRIVAL, None)
    assert (check.met, check.reason, check.notice_date, check.days_before_arrival) == (
        applies,
        reason,
        None,
        None,
    )


def test_a_rule_for_other_kinds_is_decided_not_covered_and_checks_nothing_else() -> None:
    (kind,) = decide(profile(TEXAS), DamagesBase(ROOMS, usd("500.00"), Decimal(5))).kinds
    (decision,) = kind.decisions
    assert decision.checks == (KindCheck(False, TaxReason.KIND_NOT_COVERED, ROOMS, TEXAS.kinds),)
    assert not decision.applied
    assert kind.gross == usd("500.00")


def test_every_condition_is_checked_and_reported_even_after_one_fails() -> None:
    both = rule(
        kinds=["cancellation"],
        conditions={"threshold": {"pct": 50}, "notice_window": {"within_days": 30}},
    )
    (decision,) = decide(
        profile(both),
        DamagesBase(CANCELLATION, usd("400.00"), Decimal(4)),
        rate=usd("200.00"),
        notice=date(2027, 3, 20),
    ).decisions
    assert [check.reason for check in decision.checks] == [
        TaxReason.KIND_COVERED,
        TaxReason.THRESHOLD_NOT_MET,
        TaxReason.NOTICE_WITHIN_WINDOW,
    ]
    assert not decision.applied


# --- amounts -------------------------------------------------------------------------------------


def test_two_inclusive_taxes_share_the_gross_and_still_add_up() -> None:
    """VAT 20 % and a 5 % levy both inside a charge of 1,000.00: each is gross × rate / 125.

    VAT 1,000 × 20 / 125 = 160.00; levy 1,000 × 5 / 125 = 40.00; net 800.00; 800 + 160 + 40 = 1,000.
    """
    levy = rule(name="Levy", rate_pct=5, kinds=["cancellation"], inclusive=True)
    (kind,) = decide(profile(UK_VAT, levy), DamagesBase(CANCELLATION, gbp("1000.00"))).kinds
    assert [d.amount.tax for d in kind.decisions if d.amount] == [gbp("160.00"), gbp("40.00")]
    assert (kind.net, kind.included_tax, kind.gross) == (gbp("800.00"), gbp("200.00"), gbp("1000.00"))


def test_an_exclusive_tax_on_top_of_an_inclusive_one_is_taken_on_the_net() -> None:
    """Inclusive 20 % in 1,200.00 is 200.00 (net 1,000.00); an exclusive 5 % on the net adds 50.00."""
    levy = rule(name="Levy", rate_pct=5, kinds=["cancellation"])
    (kind,) = decide(profile(UK_VAT, levy), DamagesBase(CANCELLATION, gbp("1200.00"))).kinds
    assert (kind.net, kind.included_tax, kind.added_tax, kind.gross) == (
        gbp("1000.00"),
        gbp("200.00"),
        gbp("50.00"),
        gbp("1250.00"),
    )


def test_the_service_charge_is_taxed_only_by_rules_on_the_service_charge() -> None:
    """2,000.00 of damages with a 400.00 service charge: 10 % on both is 240.00, 10 % on the
    damages alone is 200.00; an inclusive 20 % not on the service charge is 2,000 × 20 / 120."""
    on = rule(rate_pct=10)
    off = rule(rate_pct=10, on_service_charge=False)
    base = DamagesBase(ROOMS, usd("2000.00"), service_charge=usd("400.00"))
    assert decide(profile(on), base).kinds[0].added_tax == usd("240.00")
    assert decide(profile(off), base).kinds[0].added_tax == usd("200.00")
    inside = rule(rate_pct=20, inclusive=True, on_service_charge=False)
    (kind,) = decide(profile(inside), base).kinds
    assert kind.included_tax == usd("333.33")
    assert kind.charged == usd("2400.00")
    assert kind.net + kind.included_tax == kind.charged


def test_no_profile_or_no_damages_means_no_decisions() -> None:
    outcome = decide(
        None, DamagesBase(ROOMS, usd("100.00")), DamagesBase(FNB, usd("50.00"), service_charge=usd("5.00"))
    )
    assert outcome.decisions == ()
    assert outcome.gross == usd("155.00")
    (kind,) = decide(profile(LOUISIANA), DamagesBase(ROOMS, usd("0.00"), Decimal(10))).kinds
    assert kind.decisions == ()
    assert kind.gross == usd("0.00")
    with pytest.raises(ValueError, match="at least one damages base"):
        decide(profile(LOUISIANA))


def test_a_decision_carries_the_rule_uncertainty() -> None:
    doubtful = rule(uncertain=True, note="Not settled by the sources.")
    (decision,) = decide(profile(doubtful), DamagesBase(ROOMS, usd("10.00"))).decisions
    assert decision.uncertain
    assert decision.rule_index == 0
    assert decision.kind is ROOMS


def test_taxes_round_to_the_minor_unit_with_the_method() -> None:
    assert exclusive_tax(usd("10.05"), Decimal(10), Rounding.HALF_UP) == usd("1.01")
    assert exclusive_tax(usd("10.05"), Decimal(10), Rounding.HALF_EVEN) == usd("1.00")
    assert exclusive_tax(usd("10.05"), Decimal(10), Rounding.DOWN) == usd("1.00")
    assert inclusive_tax(Money(Decimal(1000), "JPY"), Decimal(10), Rounding.UP) == Money(Decimal(91), "JPY")


# --- properties ----------------------------------------------------------------------------------

CENTS = st.integers(min_value=0, max_value=10**14).map(lambda cents: usd(str(Decimal(cents).scaleb(-2))))
RATES = st.integers(min_value=0, max_value=10_000).map(lambda hundredths: Decimal(hundredths).scaleb(-2))
METHODS = st.sampled_from(list(Rounding))


@settings(max_examples=200, deadline=None)
@given(gross=CENTS, rates=st.lists(RATES, min_size=1, max_size=3), method=METHODS)
def test_inclusive_taxes_and_the_net_always_add_up_to_the_charge(
    gross: Money, rates: list[Decimal], method: Rounding
) -> None:
    rules = [
        rule(name=f"Tax {i}", rate_pct=str(rate), kinds=["cancellation"], inclusive=True)
        for i, rate in enumerate(rates)
    ]
    (kind,) = decide(profile(*rules), DamagesBase(CANCELLATION, gross), method=method).kinds
    assert kind.net + kind.included_tax == gross == kind.gross
    assert all(
        d.amount is not None and Decimal(0) <= d.amount.tax.amount <= gross.amount for d in kind.decisions
    )


LINES = st.lists(
    st.integers(min_value=-(10**9), max_value=10**12).map(lambda mills: usd(str(Decimal(mills).scaleb(-3)))),
    max_size=6,
)
TERMS = st.builds(
    RoundingTerm,
    increment=st.sampled_from([RoundingIncrement.MINOR_UNIT, RoundingIncrement.WHOLE_UNIT]),
    scope=st.sampled_from(list(RoundingScope)),
) | st.builds(
    RoundingTerm,
    increment=st.just(RoundingIncrement.STEP),
    step=st.sampled_from([Decimal("0.05"), Decimal("0.25"), Decimal(10)]),
    scope=st.sampled_from(list(RoundingScope)),
)


@settings(max_examples=200, deadline=None)
@given(lines=LINES, term=TERMS, method=METHODS)
def test_rounded_lines_and_the_adjustment_add_up_to_a_total_on_the_increment(
    lines: list[Money], term: RoundingTerm, method: Rounding
) -> None:
    rounded = apply_rounding(lines, term, method, "USD")
    assert sum((line.amount for line in rounded.lines), rounded.adjustment.amount) == rounded.total.amount
    assert rounded.total.amount % rounded.increment == 0
    assert abs(rounded.adjustment.amount) < rounded.increment
    if term.scope is RoundingScope.PER_LINE:
        assert all(line.amount % rounded.increment == 0 for line in rounded.lines)


# --- the contract's view -----------------------------------------------------------------------


def _contract(**fields: Any) -> Contract:
    block = cells(10, rate="200.00") + cells(30, rate="100.00", room_type="Q")
    return contract(block, **fields)


def test_the_nightly_rate_weighs_each_rate_by_its_rooms() -> None:
    """10 rooms at 200.00 and 30 at 100.00: (2,000 + 3,000) / 40 = 125.00."""
    assert nightly_rate(_contract()) == usd("125")


def test_the_contract_decides_with_its_profile_rate_arrival_and_method() -> None:
    """A Louisiana contract: 4 unused room nights charged 500.00 = 125.00 a night, 100 % of the
    weighted rate, taxed 5 % = 25.00; the term's method (down) is used for the tax."""
    taxes = profile(LOUISIANA).model_dump(mode="json")
    term = {"method": "down"}
    c = _contract(property={"name": "Bayou Hotel", "tax_profile": taxes}, rounding=term)
    assert rounding_method(c) is Rounding.DOWN
    assert not rounding_is_default(c)
    outcome = decide_contract_taxes(c, [DamagesBase(ROOMS, usd("500.00"), Decimal(4))], notice_date=None)
    (decision,) = outcome.decisions
    assert decision.applied
    assert decision.amount is not None
    assert decision.amount.tax == usd("25.00")
    assert decision.amount.method is Rounding.DOWN


def test_an_unset_rounding_term_is_todays_rounding_and_an_assumption() -> None:
    c = _contract(money_rounding="half_even")
    assert rounding_is_default(c)
    assert rounding_method(c) is Rounding.HALF_EVEN
    assert c.rounding == RoundingTerm()


# --- the model's own rules ---------------------------------------------------------------------


def _errors(model: type[Any], data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data, strict=False)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


@pytest.mark.parametrize(
    ("data", "loc", "words"),
    [
        pytest.param(
            {"exemption_reason": "Outside the scope"},
            ("vat_category",),
            "needs a VAT category",
            id="reason-without-category",
        ),
        pytest.param(
            {"vat_category": "O"},
            ("exemption_reason",),
            "needs an exemption reason",
            id="outside-scope-without-reason",
        ),
        pytest.param(
            {"vat_category": "S", "exemption_reason_code": "VATEX-EU-O"},
            ("exemption_reason",),
            "takes no exemption reason",
            id="standard-with-reason",
        ),
        pytest.param(
            {"vat_category": "O", "exemption_reason_code": "EU-O"},
            ("exemption_reason_code",),
            "pattern",
            id="not-a-vatex-code",
        ),
        pytest.param({"vat_category": "X"}, ("vat_category",), "Input should be", id="not-a-category"),
    ],
)
def test_the_vat_category_and_exemption_reason_must_fit(
    data: dict[str, Any], loc: tuple[str, ...], words: str
) -> None:
    errors = _errors(TaxProfile, data)
    assert any(found == loc and words in message for found, message in errors), errors


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="no-category"),
        pytest.param({"vat_category": "S"}, id="standard"),
        pytest.param({"vat_category": "E", "exemption_reason": "Exempt"}, id="exempt-with-reason"),
        pytest.param({"vat_category": "O", "exemption_reason_code": "VATEX-EU-O"}, id="outside-with-code"),
    ],
)
def test_fitting_vat_categories_are_accepted(data: dict[str, Any]) -> None:
    assert TaxProfile.model_validate(data, strict=False).vat_category == (
        VatCategory(data["vat_category"]) if "vat_category" in data else None
    )


@pytest.mark.parametrize(
    ("data", "loc", "words"),
    [
        pytest.param({"increment": "step"}, ("step",), "needs a step", id="step-without-step"),
        pytest.param(
            {"step": "0.05"}, ("step",), "only used with increment 'step'", id="step-without-step-increment"
        ),
        pytest.param({"increment": "step", "step": "0"}, ("step",), "greater than 0", id="zero-step"),
        pytest.param(
            {"increment": "step", "step": "5000"},
            ("step",),
            "less than or equal to 1000",
            id="step-over-bound",
        ),
        pytest.param({"scope": "sideways"}, ("scope",), "Input should be", id="unknown-scope"),
    ],
)
def test_a_rounding_term_names_the_field_it_refuses(
    data: dict[str, Any], loc: tuple[str, ...], words: str
) -> None:
    errors = _errors(RoundingTerm, data)
    assert any(found == loc and words in message for found, message in errors), errors


@pytest.mark.parametrize(
    ("currency", "step", "ok"),
    [
        pytest.param("USD", "0.005", False, id="half-a-cent"),
        pytest.param("JPY", "0.5", False, id="half-a-yen"),
        pytest.param("USD", "0.05", True, id="a-nickel"),
        pytest.param("JPY", "10", True, id="ten-yen"),
    ],
)
def test_a_rounding_step_is_a_multiple_of_the_minor_unit(currency: str, step: str, ok: bool) -> None:
    data = contract_data(cells(10), currency=currency, rounding={"increment": "step", "step": step})
    data["block"] = [{**cell, "rate": "200"} for cell in data["block"]]
    if ok:
        assert Contract.model_validate(data, strict=False).rounding.step == Decimal(step)
    else:
        errors = _errors(Contract, data)
        assert any(loc == ("rounding", "step") and "finer than" in msg for loc, msg in errors), errors


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        pytest.param(
            {"sources": [{"title": "T", "url": "ftp://x", "publisher": "P"}]},
            ("sources", 0, "url"),
            id="not-a-web-address",
        ),
        pytest.param(
            {"sources": [{"title": "T", "url": "https://x", "publisher": "P", "published": "2022-13"}]},
            ("sources", 0, "published"),
            id="no-thirteenth-month",
        ),
        pytest.param(
            {"sources": [{"title": "T", "url": "https://x", "publisher": "P"}] * 11},
            ("sources",),
            id="too-many-sources",
        ),
        pytest.param(
            {"conditions": {"notice_window": {"within_days": 3651}}},
            ("conditions", "notice_window", "within_days"),
            id="window-over-ten-years",
        ),
        pytest.param(
            {"conditions": {"threshold": {"pct": 101}}},
            ("conditions", "threshold", "pct"),
            id="threshold-over-100",
        ),
    ],
)
def test_a_tax_rule_refuses_out_of_bound_fields(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    errors = _errors(TaxRule, {"name": "Tax", "rate_pct": 10, "kinds": ["cancellation"], **data})
    assert any(found == loc for found, _ in errors), errors


def test_existing_rules_and_contracts_keep_their_meaning() -> None:
    """Every new field has a default that is today's behaviour: exclusive, unconditional, certain."""
    plain = TaxRule.model_validate({"name": "VAT", "rate_pct": 20, "kinds": ["cancellation"]}, strict=False)
    assert (plain.inclusive, plain.uncertain, plain.sources) == (False, False, ())
    assert plain.conditions.threshold is None
    assert plain.conditions.notice_window is None
    assert "rounding" not in _contract().model_dump(exclude_unset=True)
