"""One bad input per validation rule: the error names the field path and says what is wrong."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from app.engine import (
    Actuals,
    ClauseNotComputableError,
    Contract,
    CurrencyMismatchError,
    EngineError,
    assess,
)
from app.engine.actuals import FnbSpend
from app.engine.contract import BlockCell
from app.engine.money import currency_scope

from .builders import actuals, cells, contract, contract_data, departure, night, pickup

Loc = tuple[str | int, ...]


def _two_nights(**fields: Any) -> dict[str, Any]:
    """Two nights of 50 rooms at 189.00, with ``fields`` on top."""
    return contract_data(cells(50, 50, rate="189.00"), **fields)


def _cell(**changes: Any) -> list[dict[str, Any]]:
    return [{**cells(50, rate="189.00")[0], **changes}]


def _tiers(*ranges: tuple[int, int | None]) -> list[dict[str, Any]]:
    return [{"min_days": low, "max_days": high, "pct": 50} for low, high in ranges]


def _pct_tiers(*ranges: tuple[int, int | None]) -> list[dict[str, Any]]:
    return [{"from_pct": low, "to_pct": high, "damages_pct": 10} for low, high in ranges]


def _reduce(notice: str, rooms: int, room_type: str = "K", offset: int = 0) -> dict[str, Any]:
    return {
        "notice_date": notice,
        "cells": [{"night": night(offset), "room_type": room_type, "rooms": rooms}],
    }


# Reduction rights for a block of 2 × 50 = 100 room nights; arrival is 2025-03-10.
TEN_PCT_ORIGINAL_UNTIL_FEB = [{"until_date": "2025-02-01", "max_pct": 10}]
TWENTY_PCT_CURRENT = [{"until_days_before_arrival": 30, "max_pct": 20, "basis": "current"}]

CONTRACT_CASES = [
    pytest.param(
        contract_data(cells(50, 50), departure_date=night(1)),
        ("block", 1, "night"),
        "is outside the stay",
        id="night-outside-the-stay",
    ),
    pytest.param(
        {**_two_nights(), "block": []},
        ("block",),
        "give at least one item",
        id="empty-block",
    ),
    pytest.param(
        contract_data(cells(0, 0)),
        ("block",),
        "the block holds no rooms: at least one cell needs rooms",
        id="block-without-rooms",
    ),
    pytest.param(
        _two_nights(departure_date=night(0)),
        ("departure_date",),
        "departure_date must be after arrival_date",
        id="departure-not-after-arrival",
    ),
    pytest.param(
        contract_data(cells(50) + cells(20)),
        ("block", 1),
        "is already block cell 1",
        id="duplicate-block-cell",
    ),
    pytest.param(
        contract_data(_cell(rooms=-1)),
        ("block", 0, "rooms"),
        "greater than or equal to 0",
        id="negative-rooms",
    ),
    pytest.param(
        contract_data(_cell(rate="-189.00")),
        ("block", 0, "rate"),
        "is negative",
        id="negative-rate",
    ),
    pytest.param(
        contract_data(_cell(rate=189.0)),
        ("block", 0, "rate"),
        'money must be quoted: write the amount as a string, for example "189.00"',
        id="float-rate",
    ),
    pytest.param(
        contract_data(_cell(rate=189)),
        ("block", 0, "rate"),
        'money must be quoted: write the amount as a string, for example "189.00"',
        id="unquoted-integer-rate",
    ),
    pytest.param(
        contract_data(_cell(rate={"amount": 189, "currency": "USD"})),
        ("block", 0, "rate"),
        "money must be quoted",
        id="unquoted-amount-in-money-object",
    ),
    pytest.param(
        contract_data(_cell(rate="189.001")),
        ("block", 0, "rate"),
        "189.001 has more decimal places than USD allows (2)",
        id="more-decimals-than-usd",
    ),
    pytest.param(
        contract_data(_cell(rate="18900.5"), currency="JPY"),
        ("block", 0, "rate"),
        "18900.5 has more decimal places than JPY allows (0)",
        id="decimals-in-jpy",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": 120}),
        ("attrition", "performance_pct"),
        "less than or equal to 100",
        id="performance-pct-above-100",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": 80, "damages_pct": -5}),
        ("attrition", "damages_pct"),
        "greater than or equal to 0",
        id="damages-pct-below-0",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": "eighty"}),
        ("attrition", "performance_pct"),
        "'eighty' is not a percentage",
        id="percentage-not-a-number",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": True}),
        ("attrition", "performance_pct"),
        "not a boolean",
        id="percentage-boolean",
    ),
    pytest.param(
        contract_data(_cell(rate="10.00 EUR")),
        ("block", 0, "rate"),
        "mixed currencies: EUR amount in a USD document",
        id="eur-rate-in-usd-contract",
    ),
    pytest.param(
        _two_nights(
            deposits=[{"received_date": "2025-01-01", "amount": {"amount": "10.00", "currency": "EUR"}}]
        ),
        ("deposits", 0, "amount"),
        "mixed currencies: EUR amount in a USD document",
        id="eur-deposit-in-usd-contract",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, 10), (12, None))}),
        ("cancellation", "tiers", 1),
        "gap before tier 2 [12, ∞]: days 11 to 11 have no tier",
        id="cancellation-tiers-gap",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, 10), (10, None))}),
        ("cancellation", "tiers", 1),
        "tier 2 [10, ∞] overlaps tier 1 [0, 10]",
        id="cancellation-tiers-overlap",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, 30), (31, 90))}),
        ("cancellation", "tiers"),
        "the tiers stop at 90 days: the last tier must have no max_days",
        id="cancellation-tiers-not-open-ended",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((5, None))}),
        ("cancellation", "tiers", 0),
        "days 0 to 4 have no tier",
        id="cancellation-tiers-not-from-day-0",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, 30), (31, 20), (31, None))}),
        ("cancellation", "tiers", 1),
        "tier 2 [31, 20] ends before it starts",
        id="cancellation-tier-ends-before-it-starts",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, None), (0, None))}),
        ("cancellation", "tiers", 0),
        "is open-ended but another tier starts after it",
        id="cancellation-open-ended-tier-not-last",
    ),
    pytest.param(
        _two_nights(
            attrition={
                "performance_pct": 80,
                "evaluation_mode": "tiered",
                "tiers": _pct_tiers((0, 70), (75, None)),
            }
        ),
        ("attrition", "tiers", 1),
        "gap before tier 2: nothing covers 70 to 75",
        id="attrition-tiers-gap",
    ),
    pytest.param(
        _two_nights(
            attrition={
                "performance_pct": 80,
                "evaluation_mode": "tiered",
                "tiers": _pct_tiers((0, 70), (60, None)),
            }
        ),
        ("attrition", "tiers", 1),
        "tier 2 overlaps the tier before it (starts at 60, the previous one runs to 70)",
        id="attrition-tiers-overlap",
    ),
    pytest.param(
        _two_nights(
            attrition={
                "performance_pct": 80,
                "evaluation_mode": "tiered",
                "tiers": _pct_tiers((0, 70), (70, 100)),
            }
        ),
        ("attrition", "tiers"),
        "the last tier must be open-ended (no upper limit)",
        id="attrition-tiers-not-open-ended",
    ),
    pytest.param(
        _two_nights(
            attrition={
                "performance_pct": 80,
                "evaluation_mode": "tiered",
                "tiers": _pct_tiers((0, 0), (0, None)),
            }
        ),
        ("attrition", "tiers", 0),
        "tier 1 ends at 0, not above its start 0",
        id="attrition-tier-empty",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": 80, "evaluation_mode": "tiered"}),
        ("attrition", "tiers"),
        "evaluation_mode 'tiered' needs a tiers table",
        id="tiered-without-tiers",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": 80, "tiers": _pct_tiers((0, None))}),
        ("attrition", "tiers"),
        "tiers are only used with evaluation_mode 'tiered'",
        id="tiers-without-tiered-mode",
    ),
    pytest.param(
        _two_nights(
            attrition={
                "performance_pct": 80,
                "evaluation_mode": "tiered",
                "tiers": _pct_tiers((0, None)),
                "resale_mode": "resold_rooms",
            }
        ),
        ("attrition", "resale_mode"),
        "resale credit is not defined for a tiered clause",
        id="tiered-with-resale",
    ),
    pytest.param(
        _two_nights(
            rental_scale={
                "basis": "fnb_spend",
                "steps": [
                    {"from_value": "0", "to_value": "50000", "rental": "40000.00"},
                    {"from_value": "40000", "rental": "0.00"},
                ],
            }
        ),
        ("rental_scale", "steps", 1),
        "step 2 overlaps the step before it",
        id="rental-scale-steps-overlap",
    ),
    pytest.param(
        _two_nights(
            rental_scale={
                "basis": "fnb_spend",
                "steps": [
                    {"from_value": "0", "rental": "40000.00"},
                    {"from_value": "50000", "rental": "0.00"},
                ],
            }
        ),
        ("rental_scale", "steps", 0),
        "step 1 is open-ended but is not the last",
        id="rental-scale-open-step-not-last",
    ),
    pytest.param(
        _two_nights(
            reduction_rights=TEN_PCT_ORIGINAL_UNTIL_FEB,
            reductions=[_reduce("2025-02-02", 5)],
        ),
        ("reductions", 0),
        "no reduction right is in force on that date",
        id="reduction-after-the-deadline",
    ),
    pytest.param(
        _two_nights(
            reduction_rights=TEN_PCT_ORIGINAL_UNTIL_FEB,
            reductions=[_reduce("2025-01-10", 6), _reduce("2025-01-20", 5, offset=1)],
        ),
        ("reductions", 1),
        "the reduction of 5 room nights notified 2025-01-20 goes beyond the rights in force on its "
        "notice date (rights in force: right 1 (up to 10 % of the original block until 2025-02-01))",
        id="reductions-above-max-pct-of-original",
    ),
    pytest.param(
        # 20 % of the current block: 20 of 100, then at most 20 % of the 80 left = 16, not 17.
        _two_nights(
            reduction_rights=TWENTY_PCT_CURRENT,
            reductions=[_reduce("2025-01-10", 20), _reduce("2025-01-20", 17, offset=1)],
        ),
        ("reductions", 1),
        "the reduction of 17 room nights notified 2025-01-20 goes beyond the rights in force",
        id="reduction-above-max-pct-of-current",
    ),
    pytest.param(
        _two_nights(
            reduction_rights=TEN_PCT_ORIGINAL_UNTIL_FEB, reductions=[_reduce("2025-01-10", 5, "Suite")]
        ),
        ("reductions", 0, "cells", 0),
        "night 2025-03-10 room type 'Suite' is not in the block",
        id="reduction-of-a-cell-not-in-the-block",
    ),
    pytest.param(
        _two_nights(
            reduction_rights=[{"until_date": "2025-02-01", "max_pct": 100}],
            reductions=[_reduce("2025-01-10", 51)],
        ),
        ("reductions", 0, "cells", 0, "rooms"),
        "reduces 2025-03-10 'K' by 51 but only 50 rooms remain",
        id="reduction-of-more-rooms-than-the-cell-holds",
    ),
    pytest.param(
        _two_nights(reduction_rights=[{"max_pct": 10}]),
        ("reduction_rights", 0),
        "give exactly one of until_date and until_days_before_arrival",
        id="reduction-right-without-deadline",
    ),
    pytest.param(
        _two_nights(offline_rooms=[{"night": night(0), "room_type": "Suite", "rooms": 2}]),
        ("offline_rooms", 0),
        "room type 'Suite' is not in the block",
        id="offline-rooms-not-in-the-block",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": 80, "damage_rate_rule": "fixed"}),
        ("attrition", "fixed_rate"),
        "damage_rate_rule 'fixed' needs a fixed_rate",
        id="fixed-damage-rate-missing",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": 80, "fixed_rate": "150.00"}),
        ("attrition", "fixed_rate"),
        "fixed_rate is only used with damage_rate_rule 'fixed'",
        id="fixed-rate-without-fixed-rule",
    ),
    pytest.param(
        _two_nights(fnb={"minimum": "2000.00", "add_tax": True}),
        ("fnb", "tax_pct"),
        "add_tax needs tax_pct",
        id="fnb-add-tax-without-tax-pct",
    ),
    pytest.param(
        _two_nights(fnb={"minimum": "2000.00", "add_service_charge": True}),
        ("fnb", "service_charge_pct"),
        "add_service_charge needs service_charge_pct",
        id="fnb-service-charge-without-pct",
    ),
    pytest.param(
        _two_nights(fnb={"minimum": "2000.00", "damages_pct_by_notice": _tiers((0, 10), (12, None))}),
        ("fnb", "damages_pct_by_notice", 1),
        "gap before tier 2",
        id="fnb-notice-table-gap",
    ),
    pytest.param(
        _two_nights(rebates={"net_against_damages": True}),
        ("rebates",),
        "give exactly one of per_room_night and pct_of_room_revenue",
        id="rebate-without-basis",
    ),
    pytest.param(
        _two_nights(cutoff_date=night(1)),
        ("cutoff_date",),
        "cutoff_date must not be after arrival_date",
        id="cutoff-after-arrival",
    ),
    pytest.param(
        _two_nights(attrition={"performance_pct": 80, "released_rooms_count": False}),
        ("attrition", "released_rooms_count"),
        "set cutoff_date",
        id="released-rooms-not-counting-without-cutoff-date",
    ),
    pytest.param(
        _two_nights(stacking_order=["room_attrition", "room_attrition"]),
        ("stacking_order",),
        "a damages kind appears twice",
        id="stacking-order-repeats-a-kind",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, None)), "base": [{"kind": "other"}]}),
        ("cancellation", "base", 0, "amount"),
        "an 'other' component needs an amount",
        id="cancellation-other-component-without-amount",
    ),
    pytest.param(
        _two_nights(
            cancellation={"tiers": _tiers((0, None)), "base": [{"kind": "room_revenue", "amount": "5.00"}]}
        ),
        ("cancellation", "base", 0, "amount"),
        "the room_revenue component is computed from the contract; remove the amount",
        id="cancellation-room-revenue-with-amount",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, None)), "base": [{"kind": "fnb_minimum"}]}),
        ("cancellation", "base", 0),
        "the fnb_minimum component needs an fnb clause",
        id="cancellation-fnb-component-without-fnb-clause",
    ),
    pytest.param(
        _two_nights(cancellation={"tiers": _tiers((0, None)), "base": [{"kind": "meeting_room_rental"}]}),
        ("cancellation", "base", 0),
        "the meeting_room_rental component needs an amount or meeting_room_rental",
        id="cancellation-rental-component-without-amount",
    ),
]


@pytest.mark.parametrize(("data", "loc", "message"), CONTRACT_CASES)
def test_invalid_contract_is_rejected_naming_the_field(data: dict[str, Any], loc: Loc, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Contract.model_validate(data, strict=False)
    errors = caught.value.errors()
    assert [error["loc"] for error in errors if message in error["msg"]] == [loc], errors


MONEY_CASES = [
    pytest.param(True, "not a boolean", id="boolean"),
    pytest.param("189 dollars", "'189 dollars' is not an amount", id="not-an-amount"),
    pytest.param("USD 189.00 USD", "names a currency twice", id="currency-twice"),
    pytest.param(
        {"amount": "189.00"}, "exactly the keys 'amount' and 'currency'", id="object-missing-currency"
    ),
    pytest.param(
        {"amount": "189.00", "currency": "usd"}, "'usd' is not an ISO 4217 currency code", id="bad-code"
    ),
    pytest.param(
        {"amount": "lots", "currency": "USD"}, "'lots' is not an amount", id="object-amount-not-decimal"
    ),
    pytest.param(["189.00"], 'expected an amount such as "189.00"', id="list"),
]


@pytest.mark.parametrize(("rate", "message"), MONEY_CASES)
def test_malformed_money_is_rejected_with_a_clear_message(rate: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Contract.model_validate(contract_data(_cell(rate=rate)), strict=False)
    assert [(e["loc"], message in e["msg"]) for e in caught.value.errors()] == [(("block", 0, "rate"), True)]


def test_bare_amount_without_a_document_currency_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        Actuals.model_validate({"fnb_spend": [{"category": "bars", "amount": "100.00"}]}, strict=False)
    (error,) = caught.value.errors()
    assert error["loc"] == ("fnb_spend", 0, "amount")
    assert 'no currency for amount 100.00: write "100.00 XXX"' in error["msg"]


ACTUALS_CASES = [
    pytest.param(
        {"pickup": pickup(10) + pickup(5)},
        ("pickup", 1),
        "2025-03-10 'K' in_block is listed twice",
        id="pickup-listed-twice",
    ),
    pytest.param(
        {"pickup": pickup(-1)},
        ("pickup", 0, "room_nights"),
        "greater than or equal to 0",
        id="negative-pickup",
    ),
    pytest.param(
        {"inventory": [{"night": night(0), "unsold_rooms": 5}, {"night": night(0), "unsold_rooms": 3}]},
        ("inventory", 1, "night"),
        "2025-03-10 is reported twice",
        id="inventory-night-twice",
    ),
    pytest.param(
        {"inventory": [{"night": night(0), "resold_rooms": 5}]},
        ("inventory", 0, "resold_rate"),
        "resold rooms need a resold_rate",
        id="resold-rooms-without-rate",
    ),
    pytest.param(
        {"fnb_spend": [{"category": "bars", "amount": "-10.00"}]},
        ("fnb_spend", 0, "amount"),
        "is negative",
        id="negative-spend",
    ),
    pytest.param(
        {"fnb_spend": [{"category": "bars", "amount": "10.00 EUR"}]},
        ("fnb_spend", 0, "amount"),
        "mixed currencies: EUR amount in a USD document",
        id="eur-spend-in-usd-actuals",
    ),
]


@pytest.mark.parametrize(("fields", "loc", "message"), ACTUALS_CASES)
def test_invalid_actuals_are_rejected_naming_the_field(
    fields: dict[str, Any], loc: Loc, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        actuals(**fields)
    errors = caught.value.errors()
    assert [error["loc"] for error in errors if message in error["msg"]] == [loc], errors


def test_actuals_mixing_currencies_without_a_declared_currency_are_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        Actuals.model_validate(
            {
                "fnb_spend": [
                    {"category": "bars", "amount": "10.00 USD"},
                    {"category": "outlets", "amount": "USD 12.00"},
                ],
                "cancellation_resold_revenue": "10.00 EUR",
            },
            strict=False,
        )
    (error,) = caught.value.errors()
    assert error["loc"] == ("cancellation_resold_revenue",)
    assert error["msg"] == "mixed currencies: EUR amount in USD actuals"


def test_actuals_in_another_currency_than_the_document_are_rejected() -> None:
    with currency_scope("USD"), pytest.raises(ValidationError) as caught:
        Actuals.model_validate({"currency": "EUR"}, strict=False)
    assert "mixed currencies: EUR actuals for a USD contract" in caught.value.errors()[0]["msg"]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"currency": "EUR"}, id="declared-currency"),
        pytest.param(
            {"currency": None, "fnb_spend": [{"category": "bars", "amount": "10.00 EUR"}]}, id="amounts"
        ),
    ],
)
def test_assessing_actuals_in_another_currency_raises_currency_mismatch(fields: dict[str, Any]) -> None:
    c = contract(cells(50))
    with pytest.raises(CurrencyMismatchError) as caught:
        assess(c, actuals(**fields), departure(c))
    assert caught.value.field == "actuals.currency"
    assert str(caught.value) == "actuals.currency: mixed currencies: EUR actuals for a USD contract"


ASSESS_CASES = [
    pytest.param(
        {"attrition": {"performance_pct": 80}},
        {"pickup": pickup(10, first=3)},
        EngineError,
        "actuals.pickup[0].night",
        "2025-03-13 is not a night of the block; pickup before or after the block has source 'shoulder'",
        id="pickup-outside-the-block-not-shoulder",
    ),
    pytest.param(
        {"attrition": {"performance_pct": 80, "resale_mode": "last_room_sold"}},
        {"pickup": pickup(10)},
        ClauseNotComputableError,
        "actuals.inventory",
        "last-room-sold resale needs the hotel's unsold rooms on 2025-03-10",
        id="last-room-sold-without-inventory",
    ),
    pytest.param(
        {"attrition": {"performance_pct": 80, "released_rooms_count": False}, "cutoff_date": night(-30)},
        {"pickup": pickup(10)},
        ClauseNotComputableError,
        "actuals.cutoff_pickup",
        "released rooms do not count, so the pickup on the cut-off date is needed",
        id="released-rooms-not-counting-without-cutoff-pickup",
    ),
    pytest.param(
        {},
        {"cancellation_notice_date": night(-10)},
        ClauseNotComputableError,
        "actuals.cancellation_notice_date",
        "a cancellation notice was given but the contract has no cancellation clause",
        id="cancellation-notice-without-clause",
    ),
    pytest.param(
        {"cancellation": {"tiers": _tiers((0, None))}},
        {"cancellation_notice_date": night(1)},
        ClauseNotComputableError,
        "actuals.cancellation_notice_date",
        "notice received 2025-03-11 is after arrival 2025-03-10: assess attrition instead",
        id="cancellation-notice-after-arrival",
    ),
    pytest.param(
        {"attrition": {"performance_pct": 80}},
        {"manual_damages": {"amount": "500.00", "reason": "estimate"}},
        ClauseNotComputableError,
        "actuals.manual_damages",
        "the contract has an attrition clause, so room damages are computed, not entered",
        id="manual-damages-with-attrition-clause",
    ),
]


@pytest.mark.parametrize(("fields", "given", "error", "field", "message"), ASSESS_CASES)
def test_assess_refuses_what_it_cannot_compute(
    fields: dict[str, Any], given: dict[str, Any], error: type[EngineError], field: str, message: str
) -> None:
    c = contract(cells(50, 50), **fields)
    with pytest.raises(error) as caught:
        assess(c, actuals(**given), departure(c))
    assert type(caught.value) is error
    assert caught.value.field == field
    assert caught.value.message == message


def test_prevalidated_cell_in_another_currency_is_rejected_by_the_contract() -> None:
    # A cell validated on its own keeps its own currency; the contract still checks it.
    eur_cell = BlockCell.model_validate(
        {"night": night(0), "room_type": "K", "rooms": 5, "rate": "90.00 EUR"}, strict=False
    )
    with pytest.raises(ValidationError) as caught:
        Contract.model_validate({**contract_data(cells(50)), "block": [eur_cell]}, strict=False)
    (error,) = caught.value.errors()
    assert error["loc"] == ("block", 0, "rate")
    assert error["msg"] == "mixed currencies: EUR amount in a USD contract"


def test_prevalidated_spend_in_another_currency_is_rejected_by_the_actuals() -> None:
    eur_spend = FnbSpend.model_validate({"category": "bars", "amount": "90.00 EUR"}, strict=False)
    with pytest.raises(ValidationError) as caught:
        Actuals.model_validate({"currency": "USD", "fnb_spend": [eur_spend]}, strict=False)
    (error,) = caught.value.errors()
    assert error["loc"] == ("fnb_spend", 0, "amount")
    assert error["msg"] == "mixed currencies: EUR amount in USD actuals"


def test_one_bad_cell_gives_one_error_not_also_an_empty_block() -> None:
    with pytest.raises(ValidationError) as caught:
        Contract.model_validate(contract_data(_cell(rooms="many")), strict=False)
    assert [error["loc"] for error in caught.value.errors()] == [("block", 0, "rooms")]


def test_json_schema_still_requires_at_least_one_block_cell() -> None:
    schema = Contract.model_json_schema()
    assert schema["properties"]["block"]["minItems"] == 1


def test_contract_lists_its_room_types_in_block_order() -> None:
    c = contract(
        cells(10, room_type="Suite") + cells(20, room_type="K") + cells(5, room_type="Suite", first=1)
    )
    assert c.room_types == ("Suite", "K")
    assert c.nights == (date(2025, 3, 10), date(2025, 3, 11))


def test_sets_of_kinds_and_categories_dump_sorted_whatever_order_they_were_written_in() -> None:
    # A set's iteration order follows string hashes, which differ between processes: stored terms
    # (compared to decide whether an edit adds a version) must not depend on it.
    from app.engine.contract import FnbClause, TaxProfile

    kinds = ["room_attrition", "cancellation", "fnb_attrition", "meeting_room_rental"]
    dumps = {
        str(
            TaxProfile.model_validate(
                {
                    "service_charge_kinds": order,
                    "taxes": [{"name": "VAT", "rate_pct": 20, "kinds": order}],
                },
                strict=False,
            ).model_dump(mode="json")
        )
        for order in (kinds, kinds[::-1], kinds[1:] + kinds[:1])
    }
    categories = ["banquet_food", "outlets", "banquet_beverage"]
    fnb = [
        FnbClause.model_validate(
            {"minimum": "100.00 USD", "counted_categories": order}, strict=False
        ).model_dump(mode="json")["counted_categories"]
        for order in (categories, categories[::-1])
    ]

    assert len(dumps) == 1
    assert fnb == [sorted(categories)] * 2
