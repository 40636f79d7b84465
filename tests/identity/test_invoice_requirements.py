"""The rule table of what an invoice needs in the hotel's country (docs/invoice-requirements.md), as a
pure check: no database, no engine."""

from __future__ import annotations

from typing import Any

import pytest

from app.identity import BuyerIdentity, SellerIdentity
from app.invoice_requirements import Detail, invoice_gaps

FULL_UK_SELLER: dict[str, Any] = {
    "legal_name": "Marlowe Hotels (Edinburgh) Limited",
    "address": {"lines": ["12 Queen Street"], "city": "Edinburgh", "country": "GB"},
    "vat_id": "GB284193734",
    "bank": {"iban": "GB29 NWBK 6016 1331 9268 19", "bic": "NWBKGB2L"},
}
UK_BUYER: dict[str, Any] = {
    "legal_name": "The Caledonian Institute of Actuaries",
    "address": {"lines": ["7 Melville Crescent"], "city": "Edinburgh", "country": "GB"},
}


def codes(seller: dict[str, Any] | None, buyer: dict[str, Any] | None) -> list[Detail]:
    return [
        gap.code
        for gap in invoice_gaps(
            None if seller is None else SellerIdentity.model_validate(seller),
            None if buyer is None else BuyerIdentity.model_validate(buyer),
        )
    ]


def test_a_complete_domestic_uk_invoice_lacks_nothing() -> None:
    assert codes(FULL_UK_SELLER, UK_BUYER) == []


def test_a_vat_invoice_needs_the_sellers_vat_id_and_the_buyers_name_and_address() -> None:
    seller = FULL_UK_SELLER | {"vat_id": ""}

    assert codes(seller, {"legal_name": "", "address": {"country": "GB"}}) == [
        Detail.SELLER_VAT_ID,
        Detail.BUYER_LEGAL_NAME,
        Detail.BUYER_ADDRESS,
    ]


@pytest.mark.parametrize(
    ("seller_country", "buyer_country", "needs_buyer_vat"),
    [
        ("FR", "DE", True),  # intra-EU B2B: reverse charge
        ("GB", "FR", True),  # UK seller, EU business buyer
        ("FR", "FR", False),  # domestic
        ("FR", "", False),  # the buyer's country unknown: no cross-border rule can be told
    ],
)
def test_a_cross_border_vat_invoice_needs_the_buyers_vat_id(
    seller_country: str, buyer_country: str, needs_buyer_vat: bool
) -> None:
    vat_ids = {"FR": "FR40303265045", "GB": "GB284193734"}
    seller = FULL_UK_SELLER | {
        "address": {"lines": ["1 rue X"], "city": "Paris", "country": seller_country},
        "vat_id": vat_ids[seller_country],
    }
    buyer = UK_BUYER | {"address": {"lines": ["1 Str"], "city": "Berlin", "country": buyer_country}}
    if not buyer_country:
        buyer = UK_BUYER | {"address": {"lines": ["1 Str"], "city": "Somewhere"}}

    found = codes(seller, buyer)

    assert (Detail.BUYER_VAT_ID in found) is needs_buyer_vat


def test_a_us_invoice_needs_the_sellers_name_address_and_where_to_pay_only() -> None:
    seller = {"address": {"lines": ["1 Main St"], "city": "Boston", "country": "US"}}

    assert codes(seller, None) == [Detail.SELLER_LEGAL_NAME, Detail.SELLER_BANK]


def test_without_any_identity_the_invoice_lacks_the_basics_whatever_the_country() -> None:
    gaps = invoice_gaps(None, None)

    assert [gap.code for gap in gaps] == [
        Detail.SELLER_LEGAL_NAME,
        Detail.SELLER_ADDRESS,
        Detail.SELLER_BANK,
        Detail.BUYER_LEGAL_NAME,
    ]
    assert [gap.party for gap in gaps] == ["seller", "seller", "seller", "buyer"]
    assert all(gap.message.endswith(".") and "_" not in gap.message for gap in gaps)
