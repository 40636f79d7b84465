"""The identity models and the invoice number format, without a database: what each refuses and why,
and how an address prints."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.identity import (
    MAX_FORMAT_CHARS,
    MAX_NUMBER_CHARS,
    MAX_PREFIX_CHARS,
    Address,
    BankDetails,
    BuyerIdentity,
    InvoiceNumbering,
    SellerIdentity,
    number_format_problem,
    number_period,
    render_number,
    tax_id_problem,
)


def refusal(model: type[Any], data: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    error = caught.value.errors()[0]
    return ".".join(str(part) for part in error["loc"]), error["msg"]


@pytest.mark.parametrize(
    ("value", "country", "problem"),
    [
        ("FR40303265045", "FR", None),
        ("fr 40 303 265 045", "FR", None),
        ("FR40303265046", "FR", "not a valid EU VAT number (check the digits)"),
        ("DE136695976", "FR", None),  # a German supplier's number, whatever the address says
        ("303265045", "FR", "an EU VAT number starts with its country code, such as FR or DE"),
        ("GB284193734", "GB", None),
        ("284193734", "GB", None),
        ("GB284193735", "GB", "not a valid UK VAT number (GB and 9 or 12 digits)"),
        ("12-3456789", "US", None),
        ("07-3456789", "US", "not a valid US EIN (nine digits, 12-3456789)"),
        ("123-456-789", "CA", None),  # a country whose ids are kept as typed
    ],
)
def test_tax_ids_are_checked_where_stdnum_knows_the_country(
    value: str, country: str, problem: str | None
) -> None:
    assert tax_id_problem(value, country) == problem


def test_a_sellers_vat_id_is_checked_against_its_address_country() -> None:
    field, message = refusal(SellerIdentity, {"address": {"country": "US"}, "vat_id": "07-3456789"})

    assert field == "vat_id"
    assert "US EIN" in message


@pytest.mark.parametrize(
    ("bank", "field", "words"),
    [
        ({"iban": "GB29 NWBK 6016 1331 9268 18", "bic": "NWBKGB2L"}, "iban", "not a valid IBAN"),
        ({"iban": "GB29 NWBK 6016 1331 9268 19"}, "", "give the BIC with the IBAN"),
        ({"iban": "GB29 NWBK 6016 1331 9268 19", "bic": "NWBKXX2L"}, "bic", "not a valid BIC"),
        ({"account_number": "12345678"}, "", "without an IBAN, give the account number, the routing number"),
        (
            {"routing_number": "021000022", "account_number": "1234", "bank_name": "B"},
            "routing_number",
            "check",
        ),
        ({"routing_number": "12ab"}, "routing_number", "6 to 9 digits"),
        ({"account_number": "1" * 35}, "account_number", "at most 34"),
    ],
)
def test_bank_details_refuse_what_no_bank_would_take(bank: dict[str, str], field: str, words: str) -> None:
    where, message = refusal(BankDetails, bank)

    assert where == field
    assert words in message


def test_bank_details_are_normalised() -> None:
    bank = BankDetails(iban="gb29nwbk60161331926819", bic="nwbkgb2l")

    assert (bank.iban, bank.bic) == ("GB29 NWBK 6016 1331 9268 19", "NWBKGB2L")
    assert not bank.is_empty


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"legal_name": "x" * 201}, "legal_name"),
        ({"legal_name": "two\nlines"}, "legal_name"),
        ({"address": {"lines": ["a", "b", "c", "d", "e"]}}, "address.lines"),
        ({"address": {"lines": ["x" * 101]}}, "address.lines.0"),
        ({"address": {"postcode": "x" * 21}}, "address.postcode"),
        ({"address": {"country": "XX"}}, "address.country"),
        ({"address": {"country": "FRA"}}, "address.country"),
        ({"contact": {"email": "nobody"}}, "contact.email"),
        ({"contact": {"phone": "call me"}}, "contact.phone"),
        ({"reference": "x" * 61}, "reference"),
        ({"tax_id": "x" * 31}, "tax_id"),
        ({"unknown": "field"}, "unknown"),
    ],
)
def test_every_buyer_text_has_a_bound_and_a_field_named_in_the_refusal(
    data: dict[str, Any], field: str
) -> None:
    assert refusal(BuyerIdentity, data)[0] == field


def test_a_payment_reference_may_only_quote_the_invoice_number() -> None:
    seller = SellerIdentity(payment_reference="Invoice {number}")

    assert seller.payment_reference_for("RWC-2027-000042") == "Invoice RWC-2027-000042"
    assert refusal(SellerIdentity, {"payment_reference": "Invoice {total}"})[0] == "payment_reference"
    assert refusal(SellerIdentity, {"payment_reference": "x" * 141})[0] == "payment_reference"


@pytest.mark.parametrize(
    ("address", "printed"),
    [
        (
            {"lines": ["12 Queen Street"], "postcode": "EH2 1JE", "city": "Edinburgh", "country": "GB"},
            ("12 Queen Street", "Edinburgh", "EH2 1JE", "United Kingdom"),
        ),
        (
            {
                "lines": ["1 Embarcadero Center"],
                "postcode": "94111",
                "city": "San Francisco",
                "region": "CA",
                "country": "US",
            },
            ("1 Embarcadero Center", "San Francisco, CA 94111", "United States"),
        ),
        (
            {"lines": ["14 rue de l'Université", " "], "postcode": "75007", "city": "Paris", "country": "fr"},
            ("14 rue de l'Université", "75007 Paris", "France"),
        ),
    ],
)
def test_an_address_prints_as_its_country_writes_it(
    address: dict[str, Any], printed: tuple[str, ...]
) -> None:
    assert Address.model_validate(address).printed() == printed


def test_an_address_is_complete_with_a_street_a_city_and_a_country() -> None:
    assert Address(lines=("1 A St",), city="Town", country="US").is_complete
    assert not Address(lines=("1 A St",), city="Town").is_complete


@pytest.mark.parametrize(
    ("number_format", "problem"),
    [
        ("{prefix}-{year}-{seq:06}", None),
        ("{prefix}/{seq}", None),
        ("{prefix}.{year}.{seq:010}", None),
        ("{prefix}-{year}", "hold the sequence number once"),
        ("{prefix}-{seq}-{seq}", "hold the sequence number once"),
        ("{year}-{prefix}-{seq}", "start with {prefix} and a separator"),
        ("{prefix}{seq:06}", "start with {prefix} and a separator"),
        ("{prefix}-{seq:011}", "hold the sequence number once"),
        ("{prefix}-{year}-{year}-{seq}", "hold {prefix} and {year} once each at most"),
        ("{prefix}-{seq} x", "use only letters, digits"),
        ("{prefix}-{month}-{seq}", "use only letters, digits"),
        ("{prefix}-" + "A" * 24 + "{seq}", "at most 32 characters"),
    ],
)
def test_a_number_format_must_start_with_the_prefix_and_hold_the_sequence(
    number_format: str, problem: str | None
) -> None:
    found = number_format_problem(number_format)

    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    "number_format", ["{prefix}-ABCDEFGHIJKLMNOPQR{seq}", "{prefix}-{year}-ABCDEFG{seq:010}"]
)
def test_the_longest_formats_numbers_fit_the_number_column(number_format: str) -> None:
    assert len(number_format) <= MAX_FORMAT_CHARS
    assert number_format_problem(number_format) is None
    assert len(render_number(number_format, "R" * MAX_PREFIX_CHARS, 9999, 999_999_999)) <= MAX_NUMBER_CHARS


def test_numbers_render_and_count_per_year_only_when_the_format_shows_it() -> None:
    assert render_number("{prefix}-{year}-{seq:06}", "RWC", 2027, 42) == "RWC-2027-000042"
    assert render_number("{prefix}/{seq}", "RWC", 2027, 1234567) == "RWC/1234567"
    assert number_period("{prefix}-{year}-{seq:06}", 2027) == "2027"
    assert number_period("{prefix}-{seq:06}", 2027) == ""


def test_numbering_needs_a_prefix_for_a_format_and_defaults_the_format() -> None:
    assert InvoiceNumbering(invoice_prefix="RWC").effective_format() == "{prefix}-{year}-{seq:06}"
    assert InvoiceNumbering().effective_format() == ""
    assert (
        refusal(InvoiceNumbering, {"invoice_number_format": "{prefix}-{seq}"})[0] == "invoice_number_format"
    )
    assert refusal(InvoiceNumbering, {"invoice_prefix": "rwc"})[0] == "invoice_prefix"
    assert refusal(InvoiceNumbering, {"invoice_prefix": "R" * 11})[0] == "invoice_prefix"


@pytest.mark.parametrize(
    ("bank", "said"),
    [
        ({"iban": "GB29 NWBK 6016 1331 9268 18"}, "its check digits do not match the rest"),
        ({"iban": "GB29NWBK6016133192681"}, "the wrong number of characters for its country"),
        ({"iban": "XX12"}, "an IBAN starts with a country code"),
        ({"bic": "NWBKGB2"}, "a BIC has 8 or 11 characters"),
    ],
)
def test_a_refused_bank_detail_says_why_in_words_not_the_librarys(bank: dict[str, str], said: str) -> None:
    with pytest.raises(ValidationError) as refused:
        BankDetails.model_validate(bank)
    message = refused.value.errors()[0]["msg"]
    assert said in message
    assert "Invalid" not in message  # schwifty's own messages start so
