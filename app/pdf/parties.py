"""The seller, bill-to and remittance blocks of an invoice (``templates/pdf/_parties.html``).

Built from the hotel's and the account's legal identities (app/identity.py); every value is text as
printed, the labels are the template's. Without either identity the invoice prints as before: the
letterhead and the bill-to lines.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from babel import Locale

from app.identity import BuyerIdentity, Contact, SellerIdentity


@dataclass(frozen=True, slots=True)
class Parties:
    seller_name: str = ""
    seller_address: tuple[str, ...] = ()
    seller_vat_id: str = ""
    seller_registration: str = ""
    seller_contact: tuple[str, ...] = ()
    buyer_name: str = ""
    buyer_address: tuple[str, ...] = ()
    buyer_tax_id: str = ""
    buyer_reference: str = ""
    buyer_contact: tuple[str, ...] = ()
    #: The account's code in the hotel's books, shown small beside the buyer's legal name.
    account_code: str = ""
    iban: str = ""
    bic: str = ""
    account_number: str = ""
    routing_number: str = ""
    bank_name: str = ""
    payment_reference: str = ""

    @property
    def has_seller(self) -> bool:
        return bool(self.seller_name or self.seller_address or self.seller_vat_id)

    @property
    def has_buyer(self) -> bool:
        return bool(self.buyer_name)

    @property
    def has_remittance(self) -> bool:
        return bool(self.iban or self.account_number or self.payment_reference)

    @classmethod
    def from_stored(cls, data: dict[str, Any] | None) -> Parties | None:
        """The block as an issued invoice's stored document holds it (lists for tuples)."""
        if data is None:
            return None
        names = {field.name for field in fields(cls)}
        values: dict[str, Any] = {
            key: tuple(value) if isinstance(value, list) else value
            for key, value in data.items()
            if key in names
        }
        return cls(**values)


def _contact(contact: Contact) -> tuple[str, ...]:
    return tuple(part for part in (contact.name, contact.email, contact.phone) if part)


def build_parties(
    *,
    seller: SellerIdentity | None,
    buyer: BuyerIdentity | None,
    account_code: str,
    invoice_number: str,
    locale: str,
) -> Parties | None:
    """The blocks for an invoice numbered ``invoice_number`` (its payment reference may quote it), with
    country names in ``locale``; None when neither party has an identity."""
    if seller is None and buyer is None:
        return None
    where = Locale.parse(locale)
    seller = seller or SellerIdentity()
    buyer = buyer or BuyerIdentity()
    return Parties(
        seller_name=seller.legal_name,
        seller_address=seller.address.printed(where),
        seller_vat_id=seller.vat_id,
        seller_registration=seller.registration,
        seller_contact=_contact(seller.contact),
        buyer_name=buyer.legal_name,
        buyer_address=buyer.address.printed(where),
        buyer_tax_id=buyer.tax_id,
        buyer_reference=buyer.reference,
        buyer_contact=_contact(buyer.contact),
        account_code=account_code,
        iban=seller.bank.iban,
        bic=seller.bank.bic,
        account_number=seller.bank.account_number,
        routing_number=seller.bank.routing_number,
        bank_name=seller.bank.bank_name,
        payment_reference=seller.payment_reference_for(invoice_number),
    )
