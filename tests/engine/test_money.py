"""Money, percentages and their texts (docs/architecture.md, "Money and dates")."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from app.engine import Contract, CurrencyMismatchError, EngineError, Money
from app.engine.money import (
    Pct,
    Rounding,
    amount_text,
    currency_scope,
    fraction,
    minor_units,
    money_sum,
    pct_text,
    quantity_text,
    rounded_money,
)

from .builders import cells, contract_data, usd

MONEY = TypeAdapter(Money)
PCT = TypeAdapter(Pct)


@pytest.mark.parametrize(
    "amount",
    [
        pytest.param(1.5, id="float"),
        pytest.param("12.30", id="text"),
        pytest.param(True, id="boolean"),
    ],
)
def test_money_refuses_inexact_amounts(amount: object) -> None:
    with pytest.raises(TypeError, match=r"Money\.amount must be a Decimal or an int"):
        Money(amount, "USD")  # type: ignore[arg-type]


def test_money_accepts_an_int_as_an_exact_amount() -> None:
    assert Money(5, "USD").amount == Decimal(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["usd", "US", 840])
def test_money_refuses_a_currency_that_is_not_an_iso_code(currency: object) -> None:
    with pytest.raises(ValueError, match="currency must be an ISO 4217 code"):
        Money(Decimal(1), currency)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity")])
def test_money_refuses_non_finite_amounts(amount: Decimal) -> None:
    with pytest.raises(ValueError, match="must be finite"):
        Money(amount, "USD")


def test_money_adds_subtracts_and_negates_in_one_currency() -> None:
    assert usd("10.50") + usd("2.25") == usd("12.75")
    assert usd("10.50") - usd("2.25") == usd("8.25")
    assert -usd("10.50") == usd("-10.50")
    assert Money.zero("EUR") == Money(Decimal(0), "EUR")


def test_money_refuses_to_combine_currencies() -> None:
    eur = Money(Decimal("1.00"), "EUR")
    with pytest.raises(CurrencyMismatchError, match="cannot combine USD and EUR amounts"):
        usd("1.00") + eur
    with pytest.raises(CurrencyMismatchError):
        usd("1.00") - eur
    with pytest.raises(CurrencyMismatchError):
        assert usd("1.00") < eur


def test_money_refuses_to_add_a_plain_number() -> None:
    with pytest.raises(TypeError):
        usd("1.00") + Decimal(1)  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("1.00") - 1  # type: ignore[operator]


def test_money_multiplies_by_exact_factors_only() -> None:
    assert usd("189.00") * Decimal("0.8") == usd("151.2")
    assert 2 * usd("189.00") == usd("378.00")
    with pytest.raises(TypeError, match="a Money factor must be a Decimal or an int, not float"):
        usd("189.00") * 0.8  # type: ignore[operator]


def test_money_compares_within_a_currency() -> None:
    small, large = usd("1.00"), usd("2.00")
    assert small < large
    assert small <= small
    assert large > small
    assert large >= large
    assert min(large, small) is small


@pytest.mark.parametrize(
    ("amount", "currency", "mode", "expected"),
    [
        pytest.param("1.005", "USD", Rounding.HALF_UP, "1.01", id="half-up"),
        pytest.param("1.005", "USD", Rounding.HALF_EVEN, "1.00", id="half-even"),
        pytest.param("1.001", "USD", Rounding.UP, "1.01", id="up"),
        pytest.param("1.009", "USD", Rounding.DOWN, "1.00", id="down"),
        pytest.param("1000.5", "JPY", Rounding.HALF_UP, "1001", id="jpy-no-minor-unit"),
        pytest.param("1.0005", "KWD", Rounding.HALF_UP, "1.001", id="kwd-three-places"),
    ],
)
def test_money_rounds_to_the_minor_unit_with_a_named_mode(
    amount: str, currency: str, mode: Rounding, expected: str
) -> None:
    rounded = Money(Decimal(amount), currency).rounded(mode)
    assert rounded == Money(Decimal(expected), currency)
    assert rounded.amount.as_tuple().exponent == -minor_units(currency)


def test_money_rounds_half_up_by_default() -> None:
    assert Money(Decimal("0.125"), "USD").rounded() == usd("0.13")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        pytest.param(usd("1512"), "1,512.00 USD", id="whole"),
        pytest.param(usd("1512.5"), "1,512.50 USD", id="padded"),
        pytest.param(usd("0.125"), "0.125 USD", id="more-places-kept"),
        pytest.param(Money(Decimal("250000"), "JPY"), "250,000 JPY", id="jpy"),
    ],
)
def test_money_text_is_plain_and_locale_free(money: Money, text: str) -> None:
    assert money.text() == text
    assert str(money) == text


def test_money_is_zero() -> None:
    assert usd("0.00").is_zero()
    assert not usd("0.01").is_zero()


@pytest.mark.parametrize("mode", list(Rounding))
@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.005", "USD"), ("-1.005", "USD"), ("1000.5", "JPY"), ("1.0005", "KWD"), ("12", "EUR"), ("0", "USD")],
)
def test_rounded_money_is_money_rounded(amount: str, currency: str, mode: Rounding) -> None:
    expected = Money(Decimal(amount), currency).rounded(mode)
    rounded = rounded_money(Decimal(amount), currency, mode)
    assert rounded == expected
    assert str(rounded.amount) == str(expected.amount)


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity")])
def test_rounded_money_refuses_non_finite_amounts(amount: Decimal) -> None:
    with pytest.raises(ValueError, match="must be finite"):
        rounded_money(amount, "USD")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1512", "USD"),
        ("1512.5", "USD"),
        ("0.125", "USD"),
        ("-3.1", "USD"),
        ("250000", "JPY"),
        ("7.0", "KWD"),
    ],
)
def test_amount_text_is_the_text_of_the_money(amount: str, currency: str) -> None:
    assert amount_text(Decimal(amount), currency) == Money(Decimal(amount), currency).text()


def test_money_zero_is_at_the_minor_unit_of_each_currency() -> None:
    assert str(Money.zero("USD").amount) == "0.00"
    assert str(Money.zero("JPY").amount) == "0"
    assert Money.zero("USD") == Money.zero("USD")
    with pytest.raises(ValueError, match="ISO 4217"):
        Money.zero("usd")


def test_money_sum_adds_in_one_currency() -> None:
    assert money_sum([usd("1.10"), usd("2.20")], "USD") == usd("3.30")
    assert money_sum([], "EUR") == Money.zero("EUR")
    with pytest.raises(CurrencyMismatchError):
        money_sum([usd("1.00")], "EUR")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("189.00 USD", id="code-after"),
        pytest.param("USD 189.00", id="code-before"),
        pytest.param({"amount": "189.00", "currency": "USD"}, id="object"),
        pytest.param(usd("189.00"), id="money"),
    ],
)
def test_money_validates_from_text_objects_and_money(value: object) -> None:
    assert MONEY.validate_python(value) == usd("189.00")


def test_bare_amount_takes_the_document_currency() -> None:
    with currency_scope("EUR"):
        assert MONEY.validate_python("189.00") == Money(Decimal("189.00"), "EUR")
        assert MONEY.validate_python(Decimal("189.00")) == Money(Decimal("189.00"), "EUR")


def test_invalid_document_currency_keeps_the_outer_one() -> None:
    with currency_scope("EUR"), currency_scope("euro"):
        assert MONEY.validate_python("1.00").currency == "EUR"


def test_bare_decimal_without_document_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"no currency for amount 189\.00"):
        MONEY.validate_python(Decimal("189.00"))


def test_money_serialises_as_quoted_amount_and_currency() -> None:
    assert MONEY.dump_python(usd("1512.00")) == {"amount": "1512.00", "currency": "USD"}
    assert json.loads(MONEY.dump_json(usd("1512.00"))) == {"amount": "1512.00", "currency": "USD"}


def test_money_json_schema_accepts_quoted_text_or_an_object_only() -> None:
    schema = MONEY.json_schema()
    assert schema["title"] == "Money"
    assert "Numbers are refused: quote money." in schema["description"]
    assert [option["type"] for option in schema["anyOf"]] == ["string", "object"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(80, Decimal(80), id="int"),
        pytest.param(82.5, Decimal("82.5"), id="float-read-by-its-text"),
        pytest.param(0.1, Decimal("0.1"), id="float-0.1-is-exact"),
        pytest.param("80 %", Decimal(80), id="text-with-percent-sign"),
        pytest.param(Decimal("12.5"), Decimal("12.5"), id="decimal"),
    ],
)
def test_percentages_are_read_exactly(value: object, expected: Decimal) -> None:
    assert PCT.validate_python(value) == expected


def test_percentage_fraction_and_texts() -> None:
    assert fraction(Decimal(80)) == Decimal("0.8")
    assert pct_text(Decimal(80)) == "80 %"
    assert pct_text(Decimal("82.50")) == "82.5 %"
    assert quantity_text(Decimal("42.50")) == "42.5"
    assert quantity_text(Decimal("43.0")) == "43"


def test_percentage_text_is_the_same_for_equal_percentages_but_keeps_a_negative_zero() -> None:
    assert pct_text(Decimal("80.0")) == pct_text(Decimal("80")) == "80 %"
    assert pct_text(Decimal("0")) == "0 %"
    assert pct_text(Decimal("-0")) == "-0 %"


def test_engine_error_without_field_is_its_message() -> None:
    error = EngineError("cannot compute")
    assert str(error) == "cannot compute"
    assert error.field is None
    assert str(EngineError("cannot compute", field="actuals.pickup")) == "actuals.pickup: cannot compute"


def test_unquoted_yen_amount_suggests_a_whole_yen_string() -> None:
    """JPY has no minor unit, so the suggestion must not add decimals the currency refuses."""
    data = contract_data(cells(10, rate="15000"), currency="JPY")
    data["block"][0]["rate"] = 15000
    with pytest.raises(ValidationError) as raised:
        Contract.model_validate(data, strict=False)
    assert 'for example "15000";' in raised.value.errors()[0]["msg"]


def test_unquoted_amount_that_is_not_at_the_minor_unit_is_suggested_as_written() -> None:
    data = contract_data(cells(10, rate="189.00"))
    data["block"][0]["rate"] = 189.999
    with pytest.raises(ValidationError) as raised:
        Contract.model_validate(data, strict=False)
    assert 'for example "189.999";' in raised.value.errors()[0]["msg"]


def test_unquoted_infinite_amount_is_refused_with_a_plain_example() -> None:
    data = contract_data(cells(10, rate="189.00"))
    data["block"][0]["rate"] = float("inf")
    with pytest.raises(ValidationError) as raised:
        Contract.model_validate(data, strict=False)
    assert 'for example "0.00";' in raised.value.errors()[0]["msg"]


def test_unquoted_amount_outside_a_document_is_suggested_as_written() -> None:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Money).validate_python(12.5)
    assert 'for example "12.5";' in raised.value.errors()[0]["msg"]
