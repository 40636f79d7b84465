"""F&B minimum, meeting-room rental sliding scale and stacking (docs/rules.md §4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.engine import LineKind

from .builders import Case, cells, check, night, pickup, run

FNB = LineKind.FNB_ATTRITION
RENTAL = LineKind.MEETING_ROOM_RENTAL
RN = LineKind.ROOM_ATTRITION

#: F&B minimum 10,000 by notice: 100 % within 30 days of arrival, 50 % from 31 days.
BY_NOTICE = [{"min_days": 0, "max_days": 30, "pct": 100}, {"min_days": 31, "pct": 50}]


def spend(amount: str, category: str = "banquet_food") -> list[dict[str, str]]:
    return [{"category": category, "amount": amount}]


# 3,000 + service charge 22 % = 660; tax 8 % of 3,660 = 292.80.
SURCHARGED = Case(
    cells(10),
    {
        "fnb": {
            "minimum": "10000.00",
            "add_service_charge": True,
            "service_charge_pct": 22,
            "add_tax": True,
            "tax_pct": 8,
        }
    },
    {"fnb_spend": spend("7000.00")},
    "3952.80",
)

FNB_CASES = [
    pytest.param(
        # 10,000 − 7,000 = 3,000 at 100 %.
        Case(cells(10), {"fnb": {"minimum": "10000.00"}}, {"fnb_spend": spend("7000.00")}, "3000.00"),
        id="default-clause-full-shortfall",
    ),
    pytest.param(
        # Food 4,000 + beverage 2,500 count; bars 3,000 do not (default categories): 10,000 − 6,500.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00"}},
            {"fnb_spend": spend("4000.00") + spend("2500.00", "banquet_beverage") + spend("3000.00", "bars")},
            "3500.00",
        ),
        id="bars-do-not-count-by-default",
    ),
    pytest.param(
        # Bars counted: 10,000 − (4,000 + 3,000) = 3,000.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00", "counted_categories": ["banquet_food", "bars"]}},
            {"fnb_spend": spend("4000.00") + spend("3000.00", "bars")},
            "3000.00",
        ),
        id="bars-counted-when-the-contract-says-so",
    ),
    pytest.param(
        # Spend above the minimum: nothing owed, and nothing added.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00", "add_service_charge": True, "service_charge_pct": 22}},
            {"fnb_spend": spend("12000.00")},
            "0.00",
        ),
        id="spend-above-the-minimum",
    ),
    pytest.param(
        # Notice 45 days before arrival: tier [31, ∞) → 50 % of 3,000.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00", "damages_pct_by_notice": BY_NOTICE}},
            {"fnb_spend": spend("7000.00"), "fnb_notice_date": night(-45)},
            "1500.00",
        ),
        id="damages-by-notice-45-days",
    ),
    pytest.param(
        # Notice 10 days before arrival: tier [0, 30] → 100 %.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00", "damages_pct_by_notice": BY_NOTICE}},
            {"fnb_spend": spend("7000.00"), "fnb_notice_date": night(-10)},
            "3000.00",
        ),
        id="damages-by-notice-10-days",
    ),
    pytest.param(
        # Notice after arrival counts as 0 days → 100 %.
        Case(
            cells(10, 10),
            {"fnb": {"minimum": "10000.00", "damages_pct_by_notice": BY_NOTICE}},
            {"fnb_spend": spend("7000.00"), "fnb_notice_date": night(1)},
            "3000.00",
        ),
        id="damages-by-notice-after-arrival",
    ),
    pytest.param(
        # No notice date: the clause's damages_pct (35 %) applies, with a warning: 3,000 × 35 %.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00", "damages_pct": 35, "damages_pct_by_notice": BY_NOTICE}},
            {"fnb_spend": spend("7000.00")},
            "1050.00",
            warnings=("no F&B notice date was given: the clause's damages % of 35 % applies",),
        ),
        id="damages-by-notice-without-notice-date",
    ),
    pytest.param(SURCHARGED, id="service-charge-and-tax-added"),
    pytest.param(
        # Tax only: 3,000 × 8 % = 240.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00", "add_tax": True, "tax_pct": 8}},
            {"fnb_spend": spend("7000.00")},
            "3240.00",
        ),
        id="tax-added",
    ),
    pytest.param(
        # Nothing reported: spend is zero, with a warning: the whole 10,000.
        Case(
            cells(10),
            {"fnb": {"minimum": "10000.00"}},
            {},
            "10000.00",
            warnings=("No F&B spend was reported: F&B spend is taken as zero.",),
        ),
        id="no-spend-reported",
    ),
]


@pytest.mark.parametrize("case", FNB_CASES)
def test_fnb_minimum_charges_the_shortfall(case: Case) -> None:
    check(case)


def test_fnb_surcharges_are_separate_lines_with_their_working() -> None:
    result = run(SURCHARGED)
    assert [(line.label, line.amount.amount) for line in result.lines] == [
        ("F&B minimum shortfall", Decimal("3000.00")),
        ("Service charge on the F&B shortfall", Decimal("660.00")),
        ("Tax on the F&B shortfall", Decimal("292.80")),
    ]
    assert result.lines[2].steps == ("3,660.00 USD × 8 % = 292.80 USD.",)


def test_fnb_terms_list_the_clause_defaults() -> None:
    result = run(
        Case(cells(10), {"fnb": {"minimum": "10000.00"}}, {"fnb_spend": spend("7000.00")}, "3000.00")
    )
    assert {(t.name, t.value) for t in result.assumptions} >= {
        ("fnb.allowance_pct", "0"),
        ("fnb.damages_pct", "100"),
        ("fnb.counted_categories", "banquet_beverage,banquet_food"),
        ("fnb.add_service_charge", "false"),
        ("fnb.add_tax", "false"),
    }
    categories = next(t for t in result.terms if t.name == "fnb.counted_categories")
    assert categories.text == (
        "F&B spend that counts: banquet beverage, banquet food (banquet food and beverage only), "
        "net of tax and service charge."
    )


#: Domain example: F&B ≥ 100,000 → 0; 80,000–99,999 → 20,000; 50,000–79,999 → 40,000; below → 60,000.
FNB_SCALE = {
    "basis": "fnb_spend",
    "steps": [
        {"from_value": "100000", "rental": "0.00"},
        {"from_value": "80000", "to_value": "100000", "rental": "20000.00"},
        {"from_value": "50000", "to_value": "80000", "rental": "40000.00"},
        {"from_value": "0", "to_value": "50000", "rental": "60000.00"},
    ],
}
#: Rental by room pickup: below 50 % → 3,000; 50–80 % → 1,000; from 80 % waived.
PICKUP_SCALE = {
    "basis": "room_pickup_pct",
    "steps": [
        {"from_value": "0", "to_value": "50", "rental": "3000.00"},
        {"from_value": "50", "to_value": "80", "rental": "1000.00"},
        {"from_value": "80", "rental": "0.00"},
    ],
}

RENTAL_CASES = [
    pytest.param(
        # 85,000 is in [80,000, 100,000) → 20,000.
        Case(cells(10), {"rental_scale": FNB_SCALE}, {"fnb_spend": spend("85000.00")}, "20000.00"),
        id="fnb-spend-85000-rents-20000",
    ),
    pytest.param(
        # 100,000 is the first value of the top step → waived.
        Case(cells(10), {"rental_scale": FNB_SCALE}, {"fnb_spend": spend("100000.00")}, "0.00"),
        id="fnb-spend-100000-waives-rental",
    ),
    pytest.param(
        # Without an F&B clause every category counts: 30,000 + 25,000 = 55,000 → 40,000.
        Case(
            cells(10),
            {"rental_scale": FNB_SCALE},
            {"fnb_spend": spend("30000.00", "outlets") + spend("25000.00", "bars")},
            "40000.00",
        ),
        id="fnb-spend-all-categories-without-fnb-clause",
    ),
    pytest.param(
        # With an F&B clause only its categories count: food 30,000 → 60,000 (bars 25,000 ignored).
        Case(
            cells(10),
            {"rental_scale": FNB_SCALE, "fnb": {"minimum": "1000.00"}},
            {"fnb_spend": spend("30000.00") + spend("25000.00", "bars")},
            "60000.00",
            lines={RENTAL: "60000.00", LineKind.FNB_ATTRITION: "0.00"},
        ),
        id="fnb-spend-only-counted-categories",
    ),
    pytest.param(
        # 70 of 100 room nights = 70 % → 1,000; the attrition clause (minimum 60) passes.
        Case(
            cells(100),
            {"rental_scale": PICKUP_SCALE, "attrition": {"performance_pct": 60}},
            {"pickup": pickup(70)},
            "1000.00",
        ),
        id="room-pickup-70-pct-with-attrition-clause",
    ),
    pytest.param(
        # No attrition clause: 40 of 100 = 40 % → 3,000.
        Case(cells(100), {"rental_scale": PICKUP_SCALE}, {"pickup": pickup(40)}, "3000.00"),
        id="room-pickup-40-pct-without-attrition-clause",
    ),
    pytest.param(
        # 80 of 100 = 80 %, the first value of the waived step.
        Case(cells(100), {"rental_scale": PICKUP_SCALE}, {"pickup": pickup(80)}, "0.00"),
        id="room-pickup-80-pct-waives-rental",
    ),
]


@pytest.mark.parametrize("case", RENTAL_CASES)
def test_rental_scale_charges_the_step_the_basis_falls_in(case: Case) -> None:
    check(case)


def test_rental_scale_working_names_the_basis_and_the_step() -> None:
    result = run(Case(cells(10), {"rental_scale": FNB_SCALE}, {"fnb_spend": spend("100000.00")}, "0.00"))
    (line,) = result.lines
    assert line.steps == (
        "The basis is credited F&B spend 100,000.00 USD.",
        "Step 100000 and above → rental 0.00 USD (waived).",
    )
    result = run(Case(cells(100), {"rental_scale": PICKUP_SCALE}, {"pickup": pickup(70)}, "1000.00"))
    assert result.lines[0].steps == (
        "The basis is room pickup 70 % of the baseline.",
        "Step 50 below 80 → rental 1,000.00 USD.",
    )


# Room attrition 100 at 200, minimum 80, pickup 70 → 2,000; F&B 10,000 − 7,000 = 3,000; rental 70 % → 1,000.
STACKED: dict[str, Any] = {
    "attrition": {"performance_pct": 80},
    "fnb": {"minimum": "10000.00"},
    "rental_scale": PICKUP_SCALE,
}
STACKED_ACTUALS = {"pickup": pickup(70), "fnb_spend": spend("7000.00")}

# Pickup 80 passes rooms and waives the rental: only F&B is owed, and nothing is dropped.
ONLY_FNB_OWED = Case(
    cells(100),
    {**STACKED, "performance_stacking": "first_applicable"},
    {"pickup": pickup(80), "fnb_spend": spend("7000.00")},
    "3000.00",
)

STACKING_CASES = [
    pytest.param(
        # 2,000 + 3,000 + 1,000.
        Case(
            cells(100),
            STACKED,
            STACKED_ACTUALS,
            "6000.00",
            lines={RN: "2000.00", FNB: "3000.00", RENTAL: "1000.00"},
            warnings=(
                "Performance clauses are stacked: room attrition, food and beverage attrition, meeting room "
                "rental all apply to the same event.",
            ),
        ),
        id="stack-all-apply-with-warning",
    ),
    pytest.param(
        # The greatest of 2,000, 3,000 and 1,000.
        Case(
            cells(100),
            {**STACKED, "performance_stacking": "greatest_only"},
            STACKED_ACTUALS,
            "3000.00",
            lines={FNB: "3000.00"},
            warnings=(
                "Only food and beverage attrition applies (greatest only); not charged: room attrition, "
                "meeting room rental.",
            ),
        ),
        id="greatest-only",
    ),
    pytest.param(
        # Room attrition comes first in the default order: 2,000.
        Case(
            cells(100),
            {**STACKED, "performance_stacking": "first_applicable"},
            STACKED_ACTUALS,
            "2000.00",
            lines={RN: "2000.00"},
            warnings=("Only room attrition applies (first in order)",),
        ),
        id="first-applicable-in-default-order",
    ),
    pytest.param(
        # The contract puts the rental first: 1,000.
        Case(
            cells(100),
            {
                **STACKED,
                "performance_stacking": "first_applicable",
                "stacking_order": ["meeting_room_rental", "fnb_attrition", "room_attrition"],
            },
            STACKED_ACTUALS,
            "1000.00",
            lines={RENTAL: "1000.00"},
        ),
        id="first-applicable-in-contract-order",
    ),
    pytest.param(
        # Only F&B is listed in the order; the others follow in their usual order: F&B first.
        Case(
            cells(100),
            {**STACKED, "performance_stacking": "first_applicable", "stacking_order": ["fnb_attrition"]},
            STACKED_ACTUALS,
            "3000.00",
        ),
        id="first-applicable-partial-order",
    ),
    pytest.param(ONLY_FNB_OWED, id="first-applicable-only-one-owed"),
    pytest.param(
        # Nothing owed anywhere: greatest only keeps the zero lines.
        Case(
            cells(100),
            {**STACKED, "performance_stacking": "greatest_only"},
            {"pickup": pickup(90), "fnb_spend": spend("10000.00")},
            "0.00",
        ),
        id="greatest-only-nothing-owed",
    ),
]


@pytest.mark.parametrize("case", STACKING_CASES)
def test_performance_stacking_decides_which_charges_apply(case: Case) -> None:
    result = check(case)
    stacking = next(t for t in result.terms if t.name == "performance_stacking")
    assert stacking.value == case.terms.get("performance_stacking", "stack")


def test_stack_warning_only_when_two_charges_apply() -> None:
    result = check(
        Case(cells(100), STACKED, {"pickup": pickup(80), "fnb_spend": spend("7000.00")}, "3000.00")
    )
    assert not any("stacked" in w or "Only" in w for w in result.warnings)


def test_first_applicable_without_a_dropped_charge_has_no_warning() -> None:
    result = run(ONLY_FNB_OWED)
    assert not any(w.startswith("Only") for w in result.warnings)
