"""What an invoice must show in the hotel's country, as data, and a pure check of what is missing.

The rule table and what it assumes are in docs/invoice-requirements.md. A gap is a warning, never a
refusal: the hotel may know better (an exemption, a domestic simplified invoice), and the staff page
offers the form that fills it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.identity import BuyerIdentity, SellerIdentity


class Detail(StrEnum):
    """A detail an invoice may need; the value is the machine code the API returns."""

    SELLER_LEGAL_NAME = "seller_legal_name"
    SELLER_ADDRESS = "seller_address"
    SELLER_VAT_ID = "seller_vat_id"
    SELLER_BANK = "seller_bank"
    BUYER_LEGAL_NAME = "buyer_legal_name"
    BUYER_ADDRESS = "buyer_address"
    BUYER_VAT_ID = "buyer_vat_id"


#: What each detail is, in words (the pages and the API say these).
MESSAGES: dict[Detail, str] = {
    Detail.SELLER_LEGAL_NAME: "The hotel's legal name is not set.",
    Detail.SELLER_ADDRESS: "The hotel's address (street, city and country) is not complete.",
    Detail.SELLER_VAT_ID: "The hotel's VAT number is not set: a VAT invoice must show it.",
    Detail.SELLER_BANK: "The hotel's bank details are not set: the invoice cannot say where to pay.",
    Detail.BUYER_LEGAL_NAME: "The account's legal name is not set: the invoice is billed to its code.",
    Detail.BUYER_ADDRESS: "The account's billing address (street, city and country) is not complete.",
    Detail.BUYER_VAT_ID: (
        "The account's VAT number is not set: a cross-border invoice between businesses "
        "(reverse charge) must show it."
    ),
}

#: The EU member states by ISO 3166-1 code (Greece is GR here, though its VAT numbers start EL).
EU_COUNTRIES = frozenset(
    {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"}
    | {"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
)
VAT_COUNTRIES = EU_COUNTRIES | {"GB"}


@dataclass(frozen=True, slots=True)
class Rules:
    """The details an invoice of a hotel in a region needs."""

    region: str
    always: tuple[Detail, ...]
    #: Needed when the buyer is in another country than the hotel (a cross-border B2B supply).
    cross_border: tuple[Detail, ...] = ()


#: The rule table (docs/invoice-requirements.md).
VAT_RULES = Rules(
    "EU and UK VAT",
    always=(
        Detail.SELLER_LEGAL_NAME,
        Detail.SELLER_ADDRESS,
        Detail.SELLER_VAT_ID,
        Detail.SELLER_BANK,
        Detail.BUYER_LEGAL_NAME,
        Detail.BUYER_ADDRESS,
    ),
    cross_border=(Detail.BUYER_VAT_ID,),
)
US_RULES = Rules(
    "United States", always=(Detail.SELLER_LEGAL_NAME, Detail.SELLER_ADDRESS, Detail.SELLER_BANK)
)
OTHER_RULES = Rules(
    "elsewhere, or the hotel's country unknown",
    always=(Detail.SELLER_LEGAL_NAME, Detail.SELLER_ADDRESS, Detail.SELLER_BANK, Detail.BUYER_LEGAL_NAME),
)


def rules_for(country: str) -> Rules:
    if country in VAT_COUNTRIES:
        return VAT_RULES
    if country == "US":
        return US_RULES
    return OTHER_RULES


@dataclass(frozen=True, slots=True)
class Gap:
    """A detail the invoice lacks: its code, the words, and whose form fills it."""

    code: Detail
    message: str
    party: str  # "seller" (the hotel's form) or "buyer" (the account's form)


def _present(detail: Detail, seller: SellerIdentity, buyer: BuyerIdentity) -> bool:
    match detail:
        case Detail.SELLER_LEGAL_NAME:
            return bool(seller.legal_name.strip())
        case Detail.SELLER_ADDRESS:
            return seller.address.is_complete
        case Detail.SELLER_VAT_ID:
            return bool(seller.vat_id.strip())
        case Detail.SELLER_BANK:
            return not seller.bank.is_empty
        case Detail.BUYER_LEGAL_NAME:
            return bool(buyer.legal_name.strip())
        case Detail.BUYER_ADDRESS:
            return buyer.address.is_complete
        case Detail.BUYER_VAT_ID:
            return bool(buyer.tax_id.strip())


def invoice_gaps(seller: SellerIdentity | None, buyer: BuyerIdentity | None) -> tuple[Gap, ...]:
    """What an invoice from ``seller`` to ``buyer`` lacks under the rules of the seller's country."""
    seller = seller or SellerIdentity()
    buyer = buyer or BuyerIdentity()
    rules = rules_for(seller.address.country)
    needed = list(rules.always)
    if buyer.address.country and buyer.address.country != seller.address.country:
        needed += rules.cross_border
    return tuple(
        Gap(detail, MESSAGES[detail], detail.split("_")[0])
        for detail in needed
        if not _present(detail, seller, buyer)
    )
