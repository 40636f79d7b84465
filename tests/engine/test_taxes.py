"""Tax and service charge on damages (docs/rules.md §3.8), comps (§3.9), rebates and deposits (§3.7)."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine import LineKind

from .builders import Case, cells, check, night, pickup, run, usd

RN = LineKind.ROOM_ATTRITION
SC = LineKind.SERVICE_CHARGE
TAX = LineKind.TAX

#: Room attrition of 2,000: 100 rooms at 200, minimum 80, pickup 70.
ROOMS: dict[str, Any] = {"attrition": {"performance_pct": 80}}
PICKUP_70 = {"pickup": pickup(70)}

SALES_TAX = {"name": "Sales tax", "rate_pct": 10, "kinds": ["room_attrition"]}
FLORIDA = {
    "name": "Florida",
    "service_charge_pct": 20,
    "service_charge_kinds": ["room_attrition"],
    "taxes": [SALES_TAX],
}
UK_VAT = {"name": "UK", "taxes": [{"name": "VAT", "rate_pct": 20, "kinds": ["cancellation"]}]}


def hotel(profile: dict[str, Any]) -> dict[str, Any]:
    return {"property": {"name": "Harbour Hotel", "tax_profile": profile}}


TAX_CASES = [
    pytest.param(
        # 2,000 + service charge 20 % = 400; sales tax 10 % of 2,400 = 240.
        Case(
            cells(100),
            {**ROOMS, **hotel(FLORIDA)},
            PICKUP_70,
            "2640.00",
            lines={RN: "2000.00", SC: "400.00", TAX: "240.00"},
        ),
        id="service-charge-and-tax-on-the-service-charge",
    ),
    pytest.param(
        # Tax not on the service charge: 10 % of 2,000 = 200.
        Case(
            cells(100),
            {**ROOMS, **hotel({**FLORIDA, "taxes": [{**SALES_TAX, "on_service_charge": False}]})},
            PICKUP_70,
            "2600.00",
            lines={SC: "400.00", TAX: "200.00"},
        ),
        id="tax-not-on-the-service-charge",
    ),
    pytest.param(
        # The contract's override taxes only cancellation: room attrition carries no tax.
        Case(cells(100), {**ROOMS, **hotel(FLORIDA), "tax_override": UK_VAT}, PICKUP_70, "2000.00"),
        id="contract-override-replaces-the-property-profile",
    ),
    pytest.param(
        # Cancellation 2 × 50 × 200 = 20,000 at 100 %, VAT 20 % = 4,000.
        Case(
            cells(50, 50),
            {"cancellation": {"tiers": [{"min_days": 0, "pct": 100}]}, "tax_override": UK_VAT},
            {"cancellation_notice_date": night(-10)},
            "24000.00",
            lines={LineKind.CANCELLATION: "20000.00", TAX: "4000.00"},
        ),
        id="vat-on-cancellation",
    ),
    pytest.param(
        # F&B 10,000 − 7,000 = 3,000, taxed 7 %; room attrition untaxed by this profile.
        Case(
            cells(100),
            {
                **ROOMS,
                "fnb": {"minimum": "10000.00"},
                **hotel({"taxes": [{"name": "Meals tax", "rate_pct": 7, "kinds": ["fnb_attrition"]}]}),
            },
            {**PICKUP_70, "fnb_spend": [{"category": "banquet_food", "amount": "7000.00"}]},
            "5210.00",
            lines={TAX: "210.00"},
        ),
        id="tax-on-fnb-only",
    ),
    pytest.param(
        # Resale credit 5 × 150 = 750 lowers the taxable base: (4,000 − 750) × 10 % = 325.
        Case(
            cells(100),
            {
                "attrition": {"performance_pct": 80, "resale_mode": "resold_rooms"},
                **hotel({"taxes": [{"name": "Sales tax", "rate_pct": 10, "kinds": ["room_attrition"]}]}),
            },
            {
                "pickup": pickup(60),
                "inventory": [{"night": night(0), "resold_rooms": 5, "resold_rate": "150.00"}],
            },
            "3575.00",
            lines={TAX: "325.00"},
        ),
        id="tax-on-damages-after-resale-credit",
    ),
    pytest.param(
        # Service charge kinds without a rate: no service charge; tax 10 % of 2,000.
        Case(
            cells(100),
            {**ROOMS, **hotel({**FLORIDA, "service_charge_pct": 0})},
            PICKUP_70,
            "2200.00",
            lines={TAX: "200.00"},
        ),
        id="service-charge-kinds-without-rate",
    ),
    pytest.param(
        # Deposit after tax: 2,640 − 1,000.
        Case(
            cells(100),
            {**ROOMS, **hotel(FLORIDA), "deposits": [{"received_date": "2025-01-01", "amount": "1000.00"}]},
            PICKUP_70,
            "1640.00",
        ),
        id="deposit-applied-after-tax",
    ),
]


@pytest.mark.parametrize("case", TAX_CASES)
def test_tax_profile_adds_service_charge_and_tax_to_damages(case: Case) -> None:
    check(case)


def test_no_tax_profile_means_no_tax_and_says_so() -> None:
    result = check(Case(cells(100), ROOMS, PICKUP_70, "2000.00"))
    tax = next(t for t in result.assumptions if t.name == "tax")
    assert tax.text == (
        "No tax and no service charge on damages: neither the property nor the contract gives a tax profile."
    )


@pytest.mark.parametrize(
    ("terms", "text"),
    [
        pytest.param(
            hotel(FLORIDA),
            "Tax rule from the property's tax profile (Florida): Sales tax 10 % on room attrition; "
            "service charge 20 % on room attrition.",
            id="property-profile",
        ),
        pytest.param(
            {"tax_override": UK_VAT},
            "Tax rule from the contract's tax override (UK): VAT 20 % on cancellation.",
            id="contract-override",
        ),
        pytest.param(
            hotel({}),
            "Tax rule from the property's tax profile: no tax on damages.",
            id="empty-profile",
        ),
    ],
)
def test_tax_term_names_the_rule_used(terms: dict[str, Any], text: str) -> None:
    result = run(Case(cells(100), {**ROOMS, **terms}, PICKUP_70, "2000.00"))
    tax = next(t for t in result.terms if t.name == "tax")
    assert tax.is_default is False
    assert tax.text == text


def test_no_tax_on_zero_damages() -> None:
    result = check(Case(cells(100), {**ROOMS, **hotel(FLORIDA)}, {"pickup": pickup(80)}, "0.00"))
    assert [line.kind for line in result.lines] == [RN]


COMPS = {"ratio": 10, "credit_unused_at_group_rate": True}

# 70 paid → floor(7.0) = 7 earned, 2 used → 5 × 200 = 1,000 off 2,000.
UNUSED_COMPS = Case(
    cells(100),
    {**ROOMS, "comps": COMPS},
    {"pickup": pickup(70) + pickup(2, source="comp")},
    "1000.00",
    lines={LineKind.COMP_CREDIT: "-1000.00"},
)

COMP_CASES = [
    pytest.param(UNUSED_COMPS, id="unused-comps-credited"),
    pytest.param(
        # Average group rate of a block of 10 at 100 and 10 at 300 is 200: 10 paid, ratio 10 → 1 unused
        # comp → 200 off a minimum of 16 − 10 = 6 × 200 = 1,200.
        Case(
            cells(10, rate="100.00") + cells(10, rate="300.00", room_type="S"),
            {**ROOMS, "comps": COMPS},
            {"pickup": pickup(5) + pickup(5, room_type="S")},
            "1000.00",
            lines={LineKind.COMP_CREDIT: "-200.00"},
        ),
        id="credited-at-the-average-group-rate",
    ),
    pytest.param(
        # Unused comps are not credited by default.
        Case(cells(100), {**ROOMS, "comps": {"ratio": 10}}, PICKUP_70, "2000.00"),
        id="unused-comps-not-credited-by-default",
    ),
    pytest.param(
        # Every comp earned was used: nothing to credit.
        Case(
            cells(100),
            {**ROOMS, "comps": COMPS},
            {"pickup": pickup(70) + pickup(7, source="comp")},
            "2000.00",
        ),
        id="all-comps-used",
    ),
]


@pytest.mark.parametrize("case", COMP_CASES)
def test_unused_comps_are_credited_at_the_group_rate_only_if_agreed(case: Case) -> None:
    check(case)


def test_comp_term_explains_earned_and_used() -> None:
    result = run(UNUSED_COMPS)
    comps = next(t for t in result.terms if t.name == "comps")
    assert comps.value == "1/10"
    assert comps.text == (
        "One complimentary room night per 10 paid room nights, rounded down: 70 paid → 7 earned, "
        "2 used; unused comps are credited at the group rate."
    )


def test_comp_credit_above_the_damages_is_carried_not_paid() -> None:
    # 79 paid → 7 comps → 1,400 credit against 80 − 79 = 1 × 200 = 200: credit applied 200, 1,200 carried.
    result = check(
        Case(
            cells(100),
            {**ROOMS, "comps": COMPS},
            {"pickup": pickup(79)},
            "0.00",
            lines={LineKind.COMP_CREDIT: "-200.00"},
        )
    )
    assert result.unapplied_credit == usd("1200.00")


# 70 paid room nights × 10 = 700 netted.
NETTED_PER_ROOM_NIGHT = Case(
    cells(100),
    {
        **ROOMS,
        "rebates": {
            "per_room_night": "10.00",
            "net_against_damages": True,
            "payee": "Housing Bureau",
        },
    },
    PICKUP_70,
    "1300.00",
    lines={LineKind.REBATE: "-700.00"},
)

# Not netted (the default): paid separately, damages stay 2,000.
NOT_NETTED = Case(cells(100), {**ROOMS, "rebates": {"per_room_night": "10.00"}}, PICKUP_70, "2000.00")

REBATE_CASES = [
    pytest.param(NETTED_PER_ROOM_NIGHT, id="per-room-night-netted"),
    pytest.param(
        # 10 % of room revenue 70 × 200 = 14,000 → 1,400 netted.
        Case(
            cells(100),
            {**ROOMS, "rebates": {"pct_of_room_revenue": 10, "net_against_damages": True}},
            PICKUP_70,
            "600.00",
            lines={LineKind.REBATE: "-1400.00"},
        ),
        id="pct-of-revenue-netted",
    ),
    pytest.param(NOT_NETTED, id="not-netted-by-default"),
]


@pytest.mark.parametrize("case", REBATE_CASES)
def test_rebate_is_netted_only_where_the_contract_says_so(case: Case) -> None:
    check(case)


def test_rebate_terms_name_the_payee() -> None:
    result = run(NETTED_PER_ROOM_NIGHT)
    rebate = next(t for t in result.terms if t.name == "rebates.net_against_damages")
    assert (rebate.value, rebate.is_default) == ("true", False)
    assert rebate.text == "A rebate to Housing Bureau on actual room nights is netted against damages."
    assert [line.label for line in result.lines if line.kind is LineKind.REBATE] == [
        "Rebate to Housing Bureau"
    ]
    result = run(NOT_NETTED)
    rebate = next(t for t in result.assumptions if t.name == "rebates.net_against_damages")
    assert rebate.text == "A rebate on actual room nights is paid separately, not netted."


def test_rebate_above_the_damages_is_applied_up_to_the_balance() -> None:
    # 70 × 50 = 3,500 against 2,000: 2,000 applied, 1,500 not applied.
    result = check(
        Case(
            cells(100),
            {**ROOMS, "rebates": {"per_room_night": "50.00", "net_against_damages": True}},
            PICKUP_70,
            "0.00",
            lines={LineKind.REBATE: "-2000.00"},
        )
    )
    assert result.unapplied_credit == usd("1500.00")
    (rebate,) = [line for line in result.lines if line.kind is LineKind.REBATE]
    assert rebate.steps[-1] == "Applied 2,000.00 USD; 1,500.00 USD exceeds what is owed and is not applied."


DEPOSIT_CASES = [
    pytest.param([("2025-01-01", "500.00")], "1500.00", "0.00", id="applied"),
    pytest.param([("2025-01-01", "3000.00")], "0.00", "1000.00", id="exceeding-the-balance-is-unapplied"),
    pytest.param(
        [("2025-01-01", "1500.00"), ("2025-02-01", "1000.00")], "0.00", "500.00", id="two-deposits-in-order"
    ),
    # Received after the as-of date (the departure day 2025-03-11): not yet there to apply.
    pytest.param([("2025-03-20", "500.00")], "2000.00", "0.00", id="received-after-as-of"),
]


@pytest.mark.parametrize(("deposits", "total", "unapplied"), DEPOSIT_CASES)
def test_deposits_are_applied_against_damages(
    deposits: list[tuple[str, str]], total: str, unapplied: str
) -> None:
    terms = {**ROOMS, "deposits": [{"received_date": day, "amount": amount} for day, amount in deposits]}
    result = check(Case(cells(100), terms, PICKUP_70, total))
    assert result.unapplied_credit == usd(unapplied)


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        # 1 room night × 100.01 × 50 % = 50.005.
        pytest.param("half_up", "50.01", id="half-up"),
        pytest.param("half_even", "50.00", id="half-even"),
        pytest.param("up", "50.01", id="up"),
        pytest.param("down", "50.00", id="down"),
    ],
)
def test_money_rounding_is_the_contract_term(rounding: str, expected: str) -> None:
    result = check(
        Case(
            cells(10, rate="100.01"),
            {"attrition": {"performance_pct": 100, "damages_pct": 50}, "money_rounding": rounding},
            {"pickup": pickup(9)},
            expected,
        )
    )
    term = next(t for t in result.terms if t.name == "money_rounding")
    assert (term.value, term.is_default) == (rounding, False)


def test_rebate_on_revenue_warns_about_rooms_without_a_rate() -> None:
    # 70 in-block rooms at 200 = 14,000 → 10 % = 1,400; 5 outside-block rooms of another type carry
    # no rate and add nothing, with a warning. Credited 75 → 5 short × 200 = 1,000 − 1,400 → 0.
    result = check(
        Case(
            cells(100),
            {**ROOMS, "rebates": {"pct_of_room_revenue": 10, "net_against_damages": True}},
            {"pickup": pickup(70) + pickup(5, room_type="Junior", source="outside_block")},
            "0.00",
            lines={LineKind.REBATE: "-1000.00"},
            warnings=(
                "5 room nights were reported without a rate (shoulder nights or room types outside "
                "the block)",
            ),
        )
    )
    assert result.unapplied_credit == usd("400.00")
