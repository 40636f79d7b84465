"""E-invoices of issued invoices and credit notes (docs/e-invoicing.md).

The Factur-X XML is built when a document is issued and embedded in its PDF/A-3b (see
``app.services.invoices._issue_numbered``); the UBL document of an issued invoice is written from that
embedded XML, so both say exactly what was issued, whatever changed on the property or account since.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

from app.einvoice import cii, ubl
from app.einvoice.model import (
    CREDIT_NOTE,
    EInvoice,
    EInvoiceError,
    Payment,
    PrecedingInvoice,
    from_invoice,
    snapshot,
)
from app.engine import Assessment
from app.engine.contract import Contract
from app.identity import Address, BuyerIdentity, SellerIdentity
from app.pdf.invoice import InvoiceDocument
from app.persistence.records import AccountRecord, InvoiceRecord, PropertyRecord
from app.services.errors import NotFoundError

#: Builds the Factur-X XML of a rendered document (None: the document carries no e-invoice).
XmlBuilder = Callable[[InvoiceDocument], bytes | None]


def _line_names(document: InvoiceDocument, assessment: Assessment) -> list[str] | None:
    """The invoice's line labels in its language, when they are the assessment's lines one for one."""
    if len(document.lines) != len(assessment.lines):
        return None
    return [line.label for line in document.lines]


def seller_identifier(prop: PropertyRecord) -> str:
    """The seller identifier (BT-29) used when the property has no legal registration or VAT id."""
    return f"attrition-property-{prop.id}"


def _address_fields(address: Address) -> dict[str, str]:
    return {
        "address": "\n".join(address.lines),
        "postcode": address.postcode,
        "city": ", ".join(part for part in (address.city, address.region) if part),
        "country_code": address.country,
    }


def seller_party(prop: PropertyRecord, identity: SellerIdentity | None) -> SimpleNamespace | None:
    """The hotel as the e-invoice's seller: its legal identity (the hotel details page) where given,
    else what the property record has (its name and text address)."""
    if identity is None:
        return snapshot(prop)
    return SimpleNamespace(
        legal_name=identity.legal_name or prop.name,
        **(_address_fields(identity.address) if identity.address.lines else {"address": prop.address}),
        locale=prop.locale,
        vat_id=identity.vat_id,
        legal_registration=identity.registration,
        contact_name=identity.contact.name,
        contact_email=identity.contact.email,
        bank={"iban": identity.bank.iban, "bic": identity.bank.bic},
    )


def buyer_party(account: AccountRecord | None, identity: BuyerIdentity | None) -> SimpleNamespace | None:
    """The account as the e-invoice's buyer: its legal identity where given, else its record."""
    if identity is None:
        return snapshot(account)
    assert account is not None
    return SimpleNamespace(
        legal_name=identity.legal_name or account.name,
        **_address_fields(identity.address),
        locale=account.language,
        vat_id=identity.tax_id,
        reference=identity.reference,
        contact_name=identity.contact.name or account.contact_name,
        contact_email=identity.contact.email or account.contact_email,
    )


def invoice_xml(
    *,
    assessment: Assessment,
    contract: Contract,
    prop: PropertyRecord,
    account: AccountRecord | None,
    seller_identity: SellerIdentity | None,
    buyer_identity: BuyerIdentity | None,
    issue_date: date,
    due_date: date,
) -> XmlBuilder:
    """The Factur-X XML of the invoice a document shows (its number, line labels and payment terms).

    The hotel's and the account's fields are read now, in the caller's transaction: the XML is built
    while rendering, outside any transaction."""
    seller = seller_party(prop, seller_identity)
    buyer = buyer_party(account, buyer_identity)
    identifier = seller_identifier(prop)

    def build(document: InvoiceDocument) -> bytes | None:
        try:
            einvoice = from_invoice(
                assessment=assessment,
                contract=contract,
                number=document.invoice_number,
                issue_date=issue_date,
                due_date=due_date,
                seller=seller,
                buyer=buyer,
                line_names=_line_names(document, assessment),
                seller_identifier=identifier,
                payment_terms=document.payment_terms,
            )
        except EInvoiceError:
            return None  # a currency EN 16931 cannot carry: a PDF/A-3b without XML
        return cii.to_cii(einvoice)

    return build


def credit_note_of(original: EInvoice, *, number: str, issue_date: date, terms: str) -> EInvoice:
    """The credit note (381) for the whole of ``original``: its lines and amounts, naming it (BT-25)."""
    return replace(
        original,
        type_code=CREDIT_NOTE,
        number=number,
        issue_date=issue_date,
        payment=Payment(reference=number, due_date=None, terms=terms),
        preceding=PrecedingInvoice(original.number, original.issue_date),
    )


def credit_note_xml(original_pdf: bytes, rebuild: Callable[[], EInvoice], issue_date: date) -> XmlBuilder:
    """The Factur-X XML of a credit note: from the XML embedded in the invoice it credits, else (an
    invoice issued before e-invoices) from the invoice as ``rebuild`` builds it now."""
    embedded = embedded_cii(original_pdf)

    def build(document: InvoiceDocument) -> bytes | None:
        try:
            original = cii.from_cii(embedded) if embedded is not None else rebuild()
        except EInvoiceError:
            return None
        return cii.to_cii(
            credit_note_of(
                original, number=document.invoice_number, issue_date=issue_date, terms=document.payment_terms
            )
        )

    return build


def embedded_cii(pdf: bytes) -> bytes | None:
    """The ``factur-x.xml`` embedded in a PDF, or None when it has none."""
    import facturx  # only reading an issued PDF needs it

    try:
        name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    except Exception:  # a PDF issued before e-invoices, or not one the library can read
        return None
    return bytes(xml) if name and xml else None


def ubl_of(record: InvoiceRecord) -> bytes:
    """The UBL 2.1 document of an issued invoice or credit note record (with its PDF loaded)."""
    xml = embedded_cii(record.pdf)
    if xml is None:
        raise NotFoundError(f"invoice {record.number} was issued without an e-invoice")
    return ubl.to_ubl(cii.from_cii(xml))
