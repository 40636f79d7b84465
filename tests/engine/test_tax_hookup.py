"""Tax rules and the rounding term through ``assess()`` (docs/taxes.md; issue 18): inclusive taxes
shown as net + included tax = gross, conditions met and not met in the explanation, uncertain rules
flagged, and the rounding term per line and on the total. Figures are worked by hand in each test."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine import LineKind

from .builders import Case, cells, check, night, pickup

RN = LineKind.ROOM_ATTRITION
CXL = LineKind.CANCELLATION
TAX = LineKind.TAX
INCL = LineKind.INCLUDED_TAX
ROUND = LineKind.ROUNDING

#: Room attrition of 2,000.00: 100 rooms at 200.00, minimum 80, pickup 70 → 10 room nights × 200.00.
ROOMS: dict[str, Any] = {"attrition": {"performance_pct": 80}}
PICKUP_70 = {"pickup": pickup(70)}
#: Cancellation at 100 % of 5 rooms × 200.00 = 1,000.00, whatever the notice.
CANCEL_ALL: dict[str, Any] = {"cancellation": {"tiers": [{"min_days": 0, "pct": 100}]}}


def override(*rules: dict[str, Any], **profile: Any) -> dict[str, Any]:
    return {"tax_override": {"name": "Test", "taxes": list(rules), **profile}}


UK_VAT_INCLUDED = {"name": "VAT", "rate_pct": 20, "kinds": ["cancellation"], "inclusive": True}


def kinds(lines: Any) -> list[str]:
    return [step.kind for line in lines for step in line.steps]


def test_inclusive_vat_on_a_cancellation_is_shown_as_net_tax_and_gross_and_the_total_does_not_grow() -> None:
    """1,000.00 × 20 / 120 = 166.666… → 166.67 of VAT included; net 833.33; the group owes 1,000.00."""
    result = check(
        Case(
            cells(5),
            {**CANCEL_ALL, **override(UK_VAT_INCLUDED)},
            {"cancellation_notice_date": night(-10)},
            "1000.00",
            lines={CXL: "1000.00", TAX: "166.67", INCL: "-166.67"},
        )
    )
    tax = next(line for line in result.lines if line.kind is TAX)
    assert tax.label == "VAT 20 % included in cancellation"
    assert tax.steps[-1] == (
        "1,000.00 USD × 20 % ÷ (100 % + 20 %) = 166.67 USD included; "
        "net 833.33 USD + tax 166.67 USD = 1,000.00 USD."
    )
    net = next(line for line in result.lines if line.kind is INCL)
    assert "net 833.33 USD" in net.steps[0]


def test_an_exclusive_tax_after_an_inclusive_one_is_taken_on_the_net() -> None:
    """1,000.00 holds 20 % VAT: 166.67, net 833.33; a 5 % levy on the net: 41.67 (41.6665 → half-up)."""
    levy = {"name": "Levy", "rate_pct": 5, "kinds": ["cancellation"]}
    check(
        Case(
            cells(5),
            {**CANCEL_ALL, **override(UK_VAT_INCLUDED, levy)},
            {"cancellation_notice_date": night(-10)},
            "1041.67",
            lines={TAX: "208.34", INCL: "-166.67"},
        )
    )


#: A Louisiana-style rule: room attrition taxed when it is at least the full nightly rate.
THRESHOLD_TAX = {
    "name": "Sales tax",
    "rate_pct": 5,
    "kinds": ["room_attrition"],
    "conditions": {"threshold": {"pct": 100, "comparison": "at_least"}},
}


def test_a_threshold_met_taxes_the_damages_and_says_why() -> None:
    """2,000.00 for 10 room nights = 200.00 a night = 100 % of the 200.00 rate, at least 100 %:
    5 % of 2,000.00 = 100.00."""
    result = check(
        Case(cells(100), {**ROOMS, **override(THRESHOLD_TAX)}, PICKUP_70, "2100.00", lines={TAX: "100.00"})
    )
    tax = next(line for line in result.lines if line.kind is TAX)
    assert tax.steps[0].kind == "tax.check.threshold_met.at_least"
    assert tax.steps[0] == (
        "the charge of 200.00 USD per room night is 100 % of the nightly rate 200.00 USD, at least 100 %"
    )


@pytest.mark.parametrize(
    ("terms", "reason"),
    [
        # Above 100 %: 200.00 is 100 % of the rate, not above it.
        ({"conditions": {"threshold": {"pct": 100}}}, "tax.check.threshold_not_met.above"),
        # At least 100 % when damages are 80 %: 160.00 a night is 80 % of the rate.
        ({}, "tax.check.threshold_not_met.at_least"),
    ],
)
def test_a_threshold_not_met_charges_no_tax_and_a_term_says_why(terms: dict[str, Any], reason: str) -> None:
    attrition = {"attrition": {"performance_pct": 80, **({} if terms else {"damages_pct": 80})}}
    total = "2000.00" if terms else "1600.00"
    result = check(Case(cells(100), {**attrition, **override({**THRESHOLD_TAX, **terms})}, PICKUP_70, total))
    assert not [line for line in result.lines if line.kind is TAX]
    term = next(t for t in result.terms if t.name == "tax.not_applied")
    assert term.text.kind == "term.tax_not_applied"
    assert term.text.param("checks").values[0].kind == reason  # type: ignore[union-attr]
    assert str(term.text).startswith("Sales tax 5 % is not charged on room attrition: the charge of ")


def test_a_threshold_on_damages_not_priced_by_room_night_cannot_be_measured() -> None:
    """F&B 10,000.00 − 7,000.00 = 3,000.00 has no room nights behind it: no tax, and the term says so."""
    rule = {**THRESHOLD_TAX, "kinds": ["fnb_attrition"]}
    result = check(
        Case(
            cells(100),
            {**ROOMS, "fnb": {"minimum": "10000.00"}, **override(rule)},
            {"pickup": pickup(100), "fnb_spend": [{"category": "banquet_food", "amount": "7000.00"}]},
            "3000.00",
        )
    )
    term = next(t for t in result.terms if t.name == "tax.not_applied")
    assert "cannot be measured" in term.text


#: A Texas-style rule: cancellation taxed when notified within 30 days of arrival.
NOTICE_TAX = {
    "name": "Hotel occupancy tax",
    "rate_pct": 6,
    "kinds": ["cancellation", "room_attrition"],
    "conditions": {"notice_window": {"within_days": 30}},
}


def test_notice_within_the_window_taxes_the_cancellation() -> None:
    """Notice 10 days before arrival, within 30: 6 % of 1,000.00 = 60.00."""
    result = check(
        Case(
            cells(5),
            {**CANCEL_ALL, **override(NOTICE_TAX)},
            {"cancellation_notice_date": night(-10)},
            "1060.00",
            lines={TAX: "60.00"},
        )
    )
    tax = next(line for line in result.lines if line.kind is TAX)
    assert tax.steps[0] == "notice dated 2025-02-28, 10 days before arrival, is within the 30-day window"


def test_notice_before_the_window_is_not_taxed() -> None:
    """Notice 45 days before arrival, before the 30-day window: no tax on 1,000.00."""
    result = check(
        Case(
            cells(5),
            {**CANCEL_ALL, **override(NOTICE_TAX)},
            {"cancellation_notice_date": night(-45)},
            "1000.00",
        )
    )
    term = next(t for t in result.terms if t.name == "tax.not_applied")
    assert "is before the 30-day window" in term.text


@pytest.mark.parametrize(("applies", "total"), [(False, "2000.00"), (True, "2120.00")])
def test_attrition_without_notice_is_taxed_only_if_the_rule_says_so(applies: bool, total: str) -> None:
    """Room attrition of 2,000.00 has no notice date; with ``applies_without_notice`` 6 % = 120.00."""
    rule = {
        **NOTICE_TAX,
        "conditions": {"notice_window": {"within_days": 30, "applies_without_notice": applies}},
    }
    result = check(Case(cells(100), {**ROOMS, **override(rule)}, PICKUP_70, total))
    said = kinds(result.lines) + [
        check.kind
        for t in result.terms
        if t.name == "tax.not_applied"
        for check in t.text.param("checks").values  # type: ignore[union-attr]
    ]
    assert ("tax.check.no_notice_applies" if applies else "tax.check.no_notice_does_not_apply") in said


def test_an_uncertain_rule_is_flagged() -> None:
    rule = {**UK_VAT_INCLUDED, "uncertain": True, "note": "not settled"}
    result = check(
        Case(cells(5), {**CANCEL_ALL, **override(rule)}, {"cancellation_notice_date": night(-10)}, "1000.00")
    )
    assert [w.kind for w in result.warnings if w.kind == "warning.tax_uncertain"] == ["warning.tax_uncertain"]


#: Room attrition at 189.45: 10 room nights → 1,894.50; sales tax 10 %.
CENTS: dict[str, Any] = {
    **ROOMS,
    **override({"name": "Sales tax", "rate_pct": 10, "kinds": ["room_attrition"]}),
}


def test_whole_unit_rounding_per_line_rounds_the_damages_then_the_tax() -> None:
    """1,894.50 → 1,895 (half-up); tax 10 % of 1,895 = 189.50 → 190; total 2,085."""
    result = check(
        Case(
            cells(100, rate="189.45"),
            {**CENTS, "rounding": {"increment": "whole_unit"}},
            PICKUP_70,
            "2085.00",
            lines={RN: "1895.00", TAX: "190.00"},
        )
    )
    term = next(t for t in result.terms if t.name == "rounding")
    assert not term.is_default
    assert "rounding.step.line" in kinds(result.lines)


def test_half_even_per_line_rounds_a_half_to_the_even_unit() -> None:
    """1,894.50 → 1,894 (half-even); tax 189.40 → 189; total 2,083."""
    check(
        Case(
            cells(100, rate="189.45"),
            {**CENTS, "rounding": {"increment": "whole_unit", "method": "half_even"}},
            PICKUP_70,
            "2083.00",
            lines={RN: "1894.00", TAX: "189.00"},
        )
    )


def test_whole_unit_rounding_on_the_total_adds_one_adjustment() -> None:
    """1,894.50 + tax 189.45 = 2,083.95 → 2,084 (half-up): a rounding adjustment of 0.05."""
    result = check(
        Case(
            cells(100, rate="189.45"),
            {**CENTS, "rounding": {"increment": "whole_unit", "scope": "on_total"}},
            PICKUP_70,
            "2084.00",
            lines={RN: "1894.50", TAX: "189.45", ROUND: "0.05"},
        )
    )
    line = next(line for line in result.lines if line.kind is ROUND)
    assert line.steps[0] == (
        "2,083.95 USD rounded half-up to a multiple of 1.00 USD = 2,084.00 USD: adjustment 0.05 USD."
    )


def test_a_step_rounding_on_the_total_that_changes_nothing_adds_no_line() -> None:
    """2,000.00 + 10 % = 2,200.00 is already a multiple of 0.05."""
    result = check(
        Case(
            cells(100),
            {**CENTS, "rounding": {"increment": "step", "step": "0.05", "scope": "on_total"}},
            PICKUP_70,
            "2200.00",
        )
    )
    assert not [line for line in result.lines if line.kind is ROUND]


def test_whole_unit_rounding_keeps_an_included_tax_equal_on_both_lines() -> None:
    """166.67 of included VAT rounds up to 167 and so does what is taken off: the total stays 1,000."""
    check(
        Case(
            cells(5),
            {
                **CANCEL_ALL,
                **override(UK_VAT_INCLUDED),
                "rounding": {"increment": "whole_unit", "method": "up"},
            },
            {"cancellation_notice_date": night(-10)},
            "1000.00",
            lines={TAX: "167.00", INCL: "-167.00"},
        )
    )


def test_an_unset_rounding_term_is_an_assumption_even_when_the_method_is_chosen() -> None:
    result = check(Case(cells(100), {**ROOMS, "money_rounding": "half_even"}, PICKUP_70, "2000.00"))
    assert ("rounding", "minor_unit/per_line") in {(t.name, t.value) for t in result.assumptions}


def test_the_tax_term_says_a_tax_is_included_in_the_damages() -> None:
    result = check(
        Case(
            cells(5),
            {**CANCEL_ALL, **override(UK_VAT_INCLUDED)},
            {"cancellation_notice_date": night(-10)},
            "1000.00",
        )
    )
    term = next(t for t in result.terms if t.name == "tax")
    assert term.text == "Tax rule from the contract's tax override (Test): VAT 20 % included in cancellation."
