"""The documented limits: each is refused at validation, naming the field and the limit in words."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from app.engine import Actuals, Contract
from app.engine.contract import TaxProfile
from app.engine.limits import (
    MAX_AMOUNT,
    MAX_BLOCK_CELLS,
    MAX_NIGHTS,
    MAX_PICKUP_ROWS,
    MAX_ROOM_TYPES,
    MAX_TABLE_STEPS,
    IsoDate,
    parse_iso_date,
)
from app.engine.money import Money

from .builders import ARRIVAL, cells, contract_data, night

Loc = tuple[str | int, ...]


def _errors(data: dict[str, Any], model: type[Contract] | type[Actuals] = Contract) -> list[tuple[Loc, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data, strict=False)
    return [(tuple(error["loc"]), error["msg"]) for error in caught.value.errors()]


def _rate(rate: object) -> dict[str, Any]:
    return contract_data([{**cells(50)[0], "rate": rate}])


def test_a_stay_of_max_nights_is_accepted_and_one_more_is_refused() -> None:
    longest = contract_data(cells(10), departure_date=night(MAX_NIGHTS))
    assert Contract.model_validate(longest, strict=False).departure_date == date.fromisoformat(
        night(MAX_NIGHTS)
    )
    errors = _errors(contract_data(cells(10), departure_date=night(MAX_NIGHTS + 1)))
    assert errors == [(("departure_date",), f"a stay is at most {MAX_NIGHTS} nights; this one has 401")]


def test_more_room_types_than_the_limit_are_refused() -> None:
    block = [cell for index in range(MAX_ROOM_TYPES + 1) for cell in cells(5, room_type=f"T{index}")]
    assert _errors(contract_data(block)) == [(("block",), f"at most {MAX_ROOM_TYPES} room types (21 given)")]


def test_more_block_cells_than_the_limit_are_refused_before_the_cells_are_read() -> None:
    # Counted before validation: the cells themselves are not even dates, and only the count is named.
    block = ["not a cell"] * (MAX_BLOCK_CELLS + 1)
    assert _errors(contract_data(cells(5)) | {"block": block}) == [
        (("block",), "at most 4,000 block cells (4,001 given)")
    ]


def test_more_tiers_than_the_limit_are_refused() -> None:
    tiers = [{"min_days": day, "max_days": day, "pct": 50} for day in range(MAX_TABLE_STEPS)]
    tiers.append({"min_days": MAX_TABLE_STEPS, "pct": 100})
    errors = _errors(contract_data(cells(5), cancellation={"tiers": tiers}))
    assert errors == [(("cancellation", "tiers"), "at most 50 tiers (51 given)")]


MONEY_CASES = [
    pytest.param(
        f"{MAX_AMOUNT + 1}", "larger than the largest amount accepted, 1,000,000,000,000", id="over"
    ),
    pytest.param("1" + "0" * 5000, "(5,001 characters) is larger than the largest amount", id="5000-digits"),
    pytest.param({"amount": "1e26", "currency": "USD"}, "'1e26' is not an amount", id="exponent"),
    pytest.param({"amount": "NaN", "currency": "USD"}, "'NaN' is not an amount", id="nan"),
    pytest.param({"amount": Decimal("NaN"), "currency": "USD"}, "'NaN' is not an amount", id="decimal-nan"),
    pytest.param("1.001", "more decimal places than USD allows (2)", id="places"),
    pytest.param("x" * 100, "(100 characters)' is not an amount", id="long-text-quoted-short"),
]


@pytest.mark.parametrize(("rate", "message"), MONEY_CASES)
def test_money_beyond_the_limits_is_refused(rate: object, message: str) -> None:
    [(loc, text)] = _errors(_rate(rate))
    assert loc == ("block", 0, "rate")
    assert message in text


def test_the_largest_amount_is_accepted() -> None:
    contract = Contract.model_validate(_rate(f"{MAX_AMOUNT}.00"), strict=False)
    assert contract.block[0].rate.amount == MAX_AMOUNT


def test_percentages_have_at_most_four_decimal_places() -> None:
    accepted = contract_data(cells(5), attrition={"performance_pct": "33.3333"})
    assert Contract.model_validate(accepted, strict=False).attrition is not None
    [(loc, text)] = _errors(contract_data(cells(5), attrition={"performance_pct": "33.33333"}))
    assert loc == ("attrition", "performance_pct")
    assert "no more than 4 decimal places" in text


TEXT_CASES = [
    pytest.param({"group": {"name": "a\x00b"}}, ("group", "name"), "NUL", id="nul-in-a-name"),
    pytest.param({"group": {"name": "a\nb"}}, ("group", "name"), "line breaks", id="line-break-in-a-name"),
    pytest.param(
        {"property": {"name": "H", "address": "1 Quay\x07"}}, ("property", "address"), "NUL", id="bell"
    ),
    pytest.param({"group": {"name": "x" * 201}}, ("group", "name"), "at most 200 characters", id="long"),
]


@pytest.mark.parametrize(("fields", "loc", "message"), TEXT_CASES)
def test_text_beyond_the_limits_is_refused(fields: dict[str, Any], loc: Loc, message: str) -> None:
    [(got, text)] = _errors(contract_data(cells(5), **fields))
    assert got == loc
    assert message in text


def test_an_address_may_run_over_several_lines() -> None:
    data = contract_data(cells(5), property={"name": "H", "address": "1 Quay\r\nLisbon"})
    assert Contract.model_validate(data, strict=False).property.address == "1 Quay\r\nLisbon"


def test_the_json_schema_states_the_limits() -> None:
    schema = Contract.model_json_schema()
    definitions = schema["$defs"]
    assert schema["properties"]["block"]["maxItems"] == MAX_BLOCK_CELLS
    assert definitions["GroupInfo"]["properties"]["name"]["pattern"] == r"^[^\x00-\x1f\x7f]*$"
    assert definitions["PropertyInfo"]["properties"]["address"]["pattern"].startswith(r"^[^\x00-\x09")
    assert schema["properties"]["arrival_date"]["pattern"] == r"^\d{4}-\d{2}-\d{2}$"
    rate = definitions["BlockCell"]["properties"]["rate"]
    assert "at most 1,000,000,000,000" in rate["description"]
    assert rate["anyOf"][1]["properties"]["amount"]["pattern"] == r"^[+-]?\d{1,13}(\.\d+)?$"
    assert TaxProfile.model_json_schema()["properties"]["taxes"]["maxItems"] == 50


def test_actuals_lists_are_bounded() -> None:
    cutoff = [{"night": night(0), "room_type": "K", "rooms": 1}] * (MAX_PICKUP_ROWS + 1)
    assert _errors({"currency": "USD", "cutoff_pickup": cutoff}, Actuals) == [
        (("cutoff_pickup",), "at most 10,000 cut-off pickup cells (10,001 given)")
    ]
    reason = {"amount": "1.00", "reason": "a\x00"}
    [(loc, text)] = _errors({"currency": "USD", "manual_damages": reason}, Actuals)
    assert loc == ("manual_damages", "reason")
    assert "NUL" in text


DATES = TypeAdapter(IsoDate)


@pytest.mark.parametrize(
    "value",
    [0, -3.57e-249, "0", "20270329", "2027-W13-1", "2027-03-29T00:00", datetime(2027, 3, 29), True, None],
)
def test_a_date_is_iso_text_only(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        DATES.validate_python(value, strict=False)
    assert caught.value.errors()[0]["msg"] == "a date is written YYYY-MM-DD, for example 2027-03-29"


def test_an_impossible_calendar_date_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        DATES.validate_python("2027-02-30", strict=False)
    assert caught.value.errors()[0]["msg"] == "'2027-02-30' is not a calendar date"


def test_iso_text_and_dates_are_read_as_dates() -> None:
    assert DATES.validate_python("2025-03-10", strict=False) == ARRIVAL
    assert DATES.validate_python(ARRIVAL, strict=True) == ARRIVAL
    assert parse_iso_date("2025-03-10") == ARRIVAL
    with pytest.raises(ValueError, match="is not a date written YYYY-MM-DD"):
        parse_iso_date("20250310")


def test_the_amount_bound_is_on_input_not_on_computed_money() -> None:
    computed = Money(MAX_AMOUNT * 3, "USD")
    assert TypeAdapter(Money).validate_python(computed) is computed
